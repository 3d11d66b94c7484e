-- Users for sign-in mode `password` (and roles for `oidc` users, keyed by e-mail).
-- Passwords are kept only as Argon2id hashes (salt inside the hash); never as text.
CREATE TABLE users (
    username         VARCHAR PRIMARY KEY,   -- lower case; an e-mail address for oidc users
    display_name     VARCHAR,
    role             VARCHAR NOT NULL,
    password_hash    VARCHAR,               -- NULL: cannot sign in with a password (oidc users)
    failed_attempts  INTEGER NOT NULL DEFAULT 0,   -- consecutive failures since the last success
    locked_until     TIMESTAMP,
    disabled         BOOLEAN NOT NULL DEFAULT false,
    created_at       TIMESTAMP NOT NULL,
    created_by       VARCHAR NOT NULL
);

-- Every sign-in attempt and every change to a user, for the admin to read.
CREATE SEQUENCE user_event_id_seq;
CREATE TABLE user_events (
    id        BIGINT PRIMARY KEY DEFAULT nextval('user_event_id_seq'),
    event_at  TIMESTAMP NOT NULL,
    username  VARCHAR NOT NULL,
    event     VARCHAR NOT NULL,   -- signed in, wrong password, locked out, created, role set, ...
    by_user   VARCHAR
);
