-- The OpenID Connect provider (issue 13): a business service may authenticate with its own
-- keys (private_key_jwt: their public JWKS kept here); the provider's signing keys; the
-- one-time authorization codes and the refresh tokens, kept as SHA-256 digests.
ALTER TABLE service_clients ADD COLUMN jwks TEXT;

CREATE TABLE oidc_keys (
    kid         TEXT PRIMARY KEY NOT NULL,
    private_der BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    active_from INTEGER NOT NULL,
    retired_at  INTEGER
);

CREATE TABLE oidc_codes (
    digest         BLOB PRIMARY KEY NOT NULL,
    client_id      TEXT NOT NULL,
    account_id     BLOB NOT NULL REFERENCES accounts(id),
    session_id     BLOB NOT NULL REFERENCES sessions(id),
    redirect_uri   TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    nonce          TEXT,
    scope          TEXT NOT NULL,
    auth_time      INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER,
    family         BLOB
);
CREATE INDEX oidc_codes_expiry ON oidc_codes(expires_at);

CREATE TABLE oidc_refresh_tokens (
    digest     BLOB PRIMARY KEY NOT NULL,
    family     BLOB NOT NULL,
    client_id  TEXT NOT NULL,
    account_id BLOB NOT NULL REFERENCES accounts(id),
    session_id BLOB NOT NULL REFERENCES sessions(id),
    scope      TEXT NOT NULL,
    auth_time  INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    revoked_at INTEGER
);
CREATE INDEX oidc_refresh_family ON oidc_refresh_tokens(family);
CREATE INDEX oidc_refresh_session ON oidc_refresh_tokens(session_id);
CREATE INDEX oidc_refresh_expiry ON oidc_refresh_tokens(expires_at);
