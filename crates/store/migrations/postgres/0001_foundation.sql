-- Habilis foundation schema (PostgreSQL). Instants are BIGINT microseconds since the Unix
-- epoch (UTC); identifiers are UUID v7. Keep in step with ../sqlite.

CREATE TABLE installation (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The national level, caisses and partners: one table, so that every record of the
-- product carries one organisation_id and tenant isolation is one column.
CREATE TABLE organisations (
    id         UUID PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('national', 'caisse', 'partner')),
    name       TEXT NOT NULL,
    parent_id  UUID REFERENCES organisations(id),
    siret      TEXT UNIQUE,
    city       TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX organisations_parent ON organisations(parent_id);

CREATE TABLE accounts (
    id                   UUID PRIMARY KEY,
    organisation_id      UUID NOT NULL REFERENCES organisations(id),
    login                TEXT NOT NULL UNIQUE,
    display_name         TEXT NOT NULL,
    email                TEXT NOT NULL,
    function             TEXT,
    status               TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'deactivated')),
    password_hash        TEXT,
    password_changed_at  BIGINT,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    last_login_at        BIGINT,
    created_at           BIGINT NOT NULL
);
CREATE INDEX accounts_organisation ON accounts(organisation_id);

CREATE TABLE account_roles (
    account_id UUID NOT NULL REFERENCES accounts(id),
    role       TEXT NOT NULL,
    PRIMARY KEY (account_id, role)
);

CREATE TABLE sessions (
    id              UUID PRIMARY KEY,
    token_hash      BYTEA NOT NULL UNIQUE,
    account_id      UUID NOT NULL REFERENCES accounts(id),
    organisation_id UUID NOT NULL REFERENCES organisations(id),
    csrf_token      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    last_seen_at    BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    ended_at        BIGINT,
    end_reason      TEXT,
    client_addr     TEXT,
    user_agent      TEXT
);
CREATE INDEX sessions_account ON sessions(account_id);
CREATE INDEX sessions_open ON sessions(last_seen_at) WHERE ended_at IS NULL;

CREATE TABLE password_links (
    id         UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts(id),
    token_hash BYTEA NOT NULL UNIQUE,
    purpose    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

CREATE TABLE login_throttle (
    login                TEXT PRIMARY KEY,
    attempts_in_window   BIGINT NOT NULL DEFAULT 0,
    window_started_at    BIGINT,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    not_before           BIGINT
);

-- Directory of named people per organisation (Annex 1).
CREATE TABLE contacts (
    id              UUID PRIMARY KEY,
    organisation_id UUID NOT NULL REFERENCES organisations(id),
    function        TEXT NOT NULL,
    name            TEXT NOT NULL,
    title           TEXT,
    email           TEXT,
    phone           TEXT
);
CREATE INDEX contacts_organisation ON contacts(organisation_id);

-- Service catalogue.
CREATE TABLE services (
    id          UUID PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    label       TEXT NOT NULL,
    description TEXT NOT NULL
);
CREATE TABLE service_roles (
    id         UUID PRIMARY KEY,
    service_id UUID NOT NULL REFERENCES services(id),
    code       TEXT NOT NULL,
    label      TEXT NOT NULL,
    UNIQUE (service_id, code)
);

-- Delegated management (filled by the partner-side capability).
CREATE TABLE groups (
    id              UUID PRIMARY KEY,
    organisation_id UUID NOT NULL REFERENCES organisations(id),
    name            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    UNIQUE (organisation_id, name)
);
CREATE TABLE group_members (
    group_id   UUID NOT NULL REFERENCES groups(id),
    account_id UUID NOT NULL REFERENCES accounts(id),
    added_at   BIGINT NOT NULL,
    added_by   UUID REFERENCES accounts(id),
    PRIMARY KEY (group_id, account_id)
);
CREATE TABLE mandates (
    id                UUID PRIMARY KEY,
    organisation_id   UUID NOT NULL REFERENCES organisations(id),
    holder_id         UUID NOT NULL REFERENCES accounts(id),
    given_by          UUID NOT NULL REFERENCES accounts(id),
    parent_mandate_id UUID REFERENCES mandates(id),
    may_manage_users  BOOLEAN NOT NULL,
    may_manage_groups BOOLEAN NOT NULL,
    may_delegate      BOOLEAN NOT NULL,
    scope             TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    withdrawn_at      BIGINT
);
CREATE TABLE grants (
    id                 UUID PRIMARY KEY,
    organisation_id    UUID NOT NULL REFERENCES organisations(id),
    service_id         UUID NOT NULL REFERENCES services(id),
    service_role_id    UUID NOT NULL REFERENCES service_roles(id),
    holder_account_id  UUID REFERENCES accounts(id),
    holder_group_id    UUID REFERENCES groups(id),
    purpose            TEXT NOT NULL,
    starts_on          TEXT NOT NULL,
    ends_on            TEXT,
    state              TEXT NOT NULL CHECK (state IN ('active', 'suspended', 'revoked')),
    created_by         UUID NOT NULL REFERENCES accounts(id),
    created_under      UUID REFERENCES mandates(id),
    created_at         BIGINT NOT NULL,
    ended_at           BIGINT,
    CHECK ((holder_account_id IS NULL) <> (holder_group_id IS NULL))
);
CREATE INDEX grants_organisation ON grants(organisation_id, service_id);

-- The audit trail: one hash chain per organisation (nil UUID for events without one).
CREATE TABLE traces (
    chain_id        UUID NOT NULL,
    seq             BIGINT NOT NULL,
    id              UUID NOT NULL UNIQUE,
    at              BIGINT NOT NULL,
    actor_id        UUID,
    actor_login     TEXT,
    organisation_id UUID,
    session_id      UUID,
    client_addr     TEXT,
    user_agent      TEXT,
    action          TEXT NOT NULL,
    target          TEXT,
    outcome         TEXT NOT NULL,
    detail          TEXT,
    prev_seal       BYTEA NOT NULL,
    seal            BYTEA NOT NULL,
    PRIMARY KEY (chain_id, seq)
);
CREATE INDEX traces_at ON traces(at);
CREATE TABLE trace_heads (
    chain_id UUID PRIMARY KEY,
    seq      BIGINT NOT NULL,
    seal     BYTEA NOT NULL
);
