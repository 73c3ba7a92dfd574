-- Refresh tokens as one row per family, rotated in place (issue 13, token endpoint speed).
-- A refresh token is `<family id>.<secret>`; the row keeps the SHA-256 of the token that is
-- current. A renewal rewrites `digest`, `rotated_at` and `rotations` of one row: no new row,
-- no index entry changed. A token of a known family whose digest is not the current one was
-- used twice (or never issued): the family is revoked. Tokens issued before this migration
-- had no family in them; they end here, and the services sign their people in again.
DROP TABLE oidc_refresh_tokens;
CREATE TABLE oidc_refresh_families (
    id         UUID PRIMARY KEY,
    digest     BYTEA NOT NULL,
    client_id  TEXT NOT NULL,
    account_id UUID NOT NULL REFERENCES accounts(id),
    session_id UUID NOT NULL REFERENCES sessions(id),
    scope      TEXT NOT NULL,
    auth_time  BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    rotated_at BIGINT NOT NULL,
    rotations  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX oidc_refresh_families_session ON oidc_refresh_families(session_id);
CREATE INDEX oidc_refresh_families_expiry ON oidc_refresh_families(expires_at);
