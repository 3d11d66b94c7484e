-- Failed sign-ins are counted per user name and client (browser address, or session), for known
-- and unknown names alike: a client that keeps failing waits longer and longer, while the account
-- itself stays usable from everywhere else (nobody can lock an admin out by guessing).
CREATE TABLE sign_in_failures (
    username        VARCHAR NOT NULL,
    client          VARCHAR NOT NULL,
    failures        INTEGER NOT NULL,    -- consecutive, since the last success from this client
    last_failed_at  TIMESTAMP NOT NULL,
    wait_until      TIMESTAMP,           -- no attempt from this client before then
    PRIMARY KEY (username, client)
);

-- Bumped by a password reset or a disable: a session signed in under an older epoch ends.
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
