-- Refresh tokens as one row per family, rotated in place (issue 13, token endpoint speed).
-- A refresh token is `<family id>.<secret>`; the row keeps the SHA-256 of the token that is
-- current. A renewal rewrites `digest`, `rotated_at` and `rotations` of one row: no new row,
-- no index entry changed. A token of a known family whose digest is not the current one was
-- used twice (or never issued): the family is revoked. Tokens issued before this migration
-- had no family in them; they end here, and the services sign their people in again.
DROP TABLE oidc_refresh_tokens;
CREATE TABLE oidc_refresh_families (
    id         BLOB PRIMARY KEY NOT NULL,
    digest     BLOB NOT NULL,
    client_id  TEXT NOT NULL,
    account_id BLOB NOT NULL REFERENCES accounts(id),
    session_id BLOB NOT NULL REFERENCES sessions(id),
    scope      TEXT NOT NULL,
    auth_time  INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    rotated_at INTEGER NOT NULL,
    rotations  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX oidc_refresh_families_session ON oidc_refresh_families(session_id);
CREATE INDEX oidc_refresh_families_expiry ON oidc_refresh_families(expires_at);
