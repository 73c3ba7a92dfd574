-- SCIM 2.0 provisioning (issue 18, R71).
-- A partner's administrator issues tokens to their own directory. Only the SHA-256 of a
-- token is kept; a token acts with its issuer's powers, read afresh at each request.
CREATE TABLE scim_tokens (
    id              BLOB PRIMARY KEY NOT NULL,
    organisation_id BLOB NOT NULL REFERENCES organisations(id),
    issuer_id       BLOB NOT NULL REFERENCES accounts(id),
    label           TEXT NOT NULL,
    token_hash      BLOB NOT NULL UNIQUE,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    last_used_at    INTEGER,
    revoked_at      INTEGER,
    revoked_by      BLOB REFERENCES accounts(id)
);
CREATE INDEX scim_tokens_organisation ON scim_tokens(organisation_id);
-- What a directory says of a person or a group that Habilis has no column for: its own
-- identifier (externalId) and the two halves of a name the portal keeps as one.
CREATE TABLE scim_resources (
    id              BLOB PRIMARY KEY NOT NULL,
    organisation_id BLOB NOT NULL REFERENCES organisations(id),
    external_id     TEXT,
    given_name      TEXT,
    family_name     TEXT
);
CREATE INDEX scim_resources_organisation ON scim_resources(organisation_id);
