-- The profile fields users' snapshots carry since accounts (issue 3); rules filter on them.
ALTER TABLE user_projection
    ADD COLUMN phone text,
    ADD COLUMN username text,
    ADD COLUMN language text,
    ADD COLUMN timezone text,
    ADD COLUMN country text,
    ADD COLUMN city text,
    ADD COLUMN department text,
    ADD COLUMN sex text,
    ADD COLUMN birth_date date,
    ADD COLUMN email_verified boolean NOT NULL DEFAULT false,
    ADD COLUMN phone_verified boolean NOT NULL DEFAULT false,
    ADD COLUMN last_login_at timestamptz,
    ADD COLUMN last_activity_at timestamptz;
