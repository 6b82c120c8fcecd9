-- The users table keyed by (application_id, id), like every data table of audience and
-- notification, so that it can be distributed by application id (Citus); the tables that
-- point at a user name the application in their foreign keys too. Every query already names
-- the application, so the key serves the same lookups. (Run at start: on a large table the
-- new key's index build holds the table for its duration.)
ALTER TABLE sessions DROP CONSTRAINT sessions_user_id_fkey;
ALTER TABLE presence DROP CONSTRAINT presence_user_id_fkey;
ALTER TABLE conversation_participants DROP CONSTRAINT conversation_participants_user_id_fkey;
ALTER TABLE users DROP CONSTRAINT users_pkey;
ALTER TABLE users ADD PRIMARY KEY (application_id, id);
ALTER TABLE sessions ADD FOREIGN KEY (application_id, user_id) REFERENCES users (application_id, id) ON DELETE CASCADE;
ALTER TABLE presence ADD FOREIGN KEY (application_id, user_id) REFERENCES users (application_id, id) ON DELETE CASCADE;
ALTER TABLE conversation_participants ADD FOREIGN KEY (application_id, user_id) REFERENCES users (application_id, id)
    ON DELETE CASCADE;
