-- Second factor (R51, contract Art. 5.2): each account's TOTP secret (RFC 6238), the one
-- being enrolled, the last step used (a code works once), its single-use recovery codes
-- (kept as SHA-256 digests), and the step a session still owes after the password.
ALTER TABLE sessions ADD COLUMN pending_step TEXT;

CREATE TABLE second_factors (
    account_id     UUID PRIMARY KEY REFERENCES accounts(id),
    secret         BYTEA,
    pending_secret BYTEA,
    confirmed_at   BIGINT,
    last_step      BIGINT NOT NULL DEFAULT 0,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE recovery_codes (
    account_id UUID NOT NULL REFERENCES accounts(id),
    digest     BYTEA NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (account_id, digest)
);
