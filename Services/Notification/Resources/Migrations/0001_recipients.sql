-- Notification's copy of the users it can address, fed by the users service's events:
-- who exists (sends to "all users" and to lists of ids are answered from here, with no
-- call to users) and where to reach them. A deleted user's row goes, and with it the
-- user's settings and notifications; the inbox keeps the last version, so a late update
-- cannot bring the user back.
CREATE TABLE recipients (
    application_id uuid NOT NULL,
    user_id uuid NOT NULL,
    email text,
    phone text,
    first_name text,
    last_name text,
    language text,
    type text NOT NULL,
    status text NOT NULL,
    version bigint NOT NULL,
    PRIMARY KEY (application_id, user_id)
);
