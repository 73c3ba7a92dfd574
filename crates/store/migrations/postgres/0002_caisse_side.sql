-- Caisse side (R1–R6, R14): partners' contracts, subscriptions and quotas, the mail
-- outbox and administrator change requests. Dates are ISO text (YYYY-MM-DD).

ALTER TABLE organisations ADD COLUMN address TEXT;
ALTER TABLE accounts ADD COLUMN phone TEXT;

CREATE TABLE conventions (
    id           UUID PRIMARY KEY,
    partner_id   UUID NOT NULL REFERENCES organisations(id),
    number       TEXT NOT NULL UNIQUE,
    signed_on    TEXT NOT NULL,
    signatories  TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX conventions_partner ON conventions(partner_id);

CREATE TABLE service_contracts (
    id             UUID PRIMARY KEY,
    convention_id  UUID NOT NULL REFERENCES conventions(id),
    partner_id     UUID NOT NULL REFERENCES organisations(id),
    mode           TEXT NOT NULL CHECK (mode IN ('delegated', 'caisse_managed')),
    signed_on      TEXT NOT NULL,
    signatories    TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX service_contracts_partner ON service_contracts(partner_id);

CREATE TABLE amendments (
    id            UUID PRIMARY KEY,
    contract_id   UUID NOT NULL REFERENCES service_contracts(id),
    partner_id    UUID NOT NULL REFERENCES organisations(id),
    mode          TEXT NOT NULL CHECK (mode IN ('delegated', 'caisse_managed')),
    signed_on     TEXT NOT NULL,
    effective_on  TEXT NOT NULL,
    reason        TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX amendments_partner ON amendments(partner_id);

CREATE TABLE subscriptions (
    id                     UUID PRIMARY KEY,
    partner_id             UUID NOT NULL REFERENCES organisations(id),
    service_id             UUID NOT NULL REFERENCES services(id),
    signed_on              TEXT,
    formalities_reference  TEXT,
    formalities_on         TEXT,
    available_from         TEXT,
    max_holders            BIGINT CHECK (max_holders IS NULL OR max_holders >= 0),
    created_at             BIGINT NOT NULL,
    UNIQUE (partner_id, service_id)
);

CREATE TABLE role_quotas (
    subscription_id  UUID NOT NULL REFERENCES subscriptions(id),
    service_role_id  UUID NOT NULL REFERENCES service_roles(id),
    max_holders      BIGINT NOT NULL CHECK (max_holders >= 0),
    PRIMARY KEY (subscription_id, service_role_id)
);

-- Every notification is written here in the transaction of the action that causes it.
CREATE TABLE outbox (
    id               UUID PRIMARY KEY,
    organisation_id  UUID REFERENCES organisations(id),
    to_address       TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body             TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    sent_at          BIGINT
);
CREATE INDEX outbox_pending ON outbox(next_attempt_at) WHERE status = 'pending';

-- Annex 3: a partner administrator asks the caisse to change an administrator.
CREATE TABLE admin_change_requests (
    id                   UUID PRIMARY KEY,
    partner_id           UUID NOT NULL REFERENCES organisations(id),
    requested_by         UUID NOT NULL REFERENCES accounts(id),
    first_name           TEXT NOT NULL,
    last_name            TEXT NOT NULL,
    function             TEXT NOT NULL,
    slot                 TEXT NOT NULL CHECK (slot IN ('principal', 'deputy')),
    replaces_account_id  UUID REFERENCES accounts(id),
    phone                TEXT,
    mobile               TEXT,
    email                TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'refused')),
    decided_by           UUID REFERENCES accounts(id),
    decided_at           BIGINT,
    decision_reason      TEXT,
    created_at           BIGINT NOT NULL
);
CREATE INDEX admin_change_requests_partner ON admin_change_requests(partner_id, status);
