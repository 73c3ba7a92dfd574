-- Second factor (R51, contract Art. 5.2): each account's TOTP secret (RFC 6238), the one
-- being enrolled, the last step used (a code works once), its single-use recovery codes
-- (kept as SHA-256 digests), and the step a session still owes after the password.
ALTER TABLE sessions ADD COLUMN pending_step TEXT;

CREATE TABLE second_factors (
    account_id     BLOB PRIMARY KEY NOT NULL REFERENCES accounts(id),
    secret         BLOB,
    pending_secret BLOB,
    confirmed_at   INTEGER,
    last_step      INTEGER NOT NULL DEFAULT 0,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE recovery_codes (
    account_id BLOB NOT NULL REFERENCES accounts(id),
    digest     BLOB NOT NULL,
    used_at    INTEGER,
    PRIMARY KEY (account_id, digest)
);
