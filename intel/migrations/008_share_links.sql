-- Read-only share links: a page and its URL state, signed; listed and revocable.
CREATE TABLE share_links (
    id          VARCHAR PRIMARY KEY,      -- random, part of the signed token
    page        VARCHAR NOT NULL,
    query       JSON NOT NULL,
    created_by  VARCHAR NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP,
    revoked_at  TIMESTAMP
);
