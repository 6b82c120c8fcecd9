-- Presence (issue 4, seed 003): when each user was last seen and on which URL, and who takes
-- part in which conversation (typing, last active). Both go with their user.
CREATE TABLE presence (
    application_id uuid NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_seen_at timestamptz,
    current_url text,
    PRIMARY KEY (application_id, user_id)
);
-- Online users: the recently seen ones of an application.
CREATE INDEX presence_seen ON presence (application_id, last_seen_at);

-- Conversations are the host application's; Roster knows them by their id only.
CREATE TABLE conversation_participants (
    application_id uuid NOT NULL,
    conversation_id text NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Agents and administrators answer conversations; everyone else is the user side.
    is_agent boolean NOT NULL,
    last_active_at timestamptz NOT NULL,
    typing_until timestamptz,
    PRIMARY KEY (application_id, conversation_id, user_id)
);
CREATE INDEX conversation_participants_last ON conversation_participants (application_id, conversation_id, is_agent, last_active_at DESC);
