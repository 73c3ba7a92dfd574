-- Habilis foundation schema (SQLite). Instants are INTEGER microseconds since the Unix
-- epoch (UTC); identifiers are 16-byte UUID v7 blobs. Keep in step with ../postgres.

CREATE TABLE installation (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The national level, caisses and partners: one table, so that every record of the
-- product carries one organisation_id and tenant isolation is one column.
CREATE TABLE organisations (
    id         BLOB PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('national', 'caisse', 'partner')),
    name       TEXT NOT NULL,
    parent_id  BLOB REFERENCES organisations(id),
    siret      TEXT UNIQUE,
    city       TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX organisations_parent ON organisations(parent_id);

CREATE TABLE accounts (
    id                   BLOB PRIMARY KEY,
    organisation_id      BLOB NOT NULL REFERENCES organisations(id),
    login                TEXT NOT NULL UNIQUE,
    display_name         TEXT NOT NULL,
    email                TEXT NOT NULL,
    function             TEXT,
    status               TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'deactivated')),
    password_hash        TEXT,
    password_changed_at  INTEGER,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    last_login_at        INTEGER,
    created_at           INTEGER NOT NULL
);
CREATE INDEX accounts_organisation ON accounts(organisation_id);

CREATE TABLE account_roles (
    account_id BLOB NOT NULL REFERENCES accounts(id),
    role       TEXT NOT NULL,
    PRIMARY KEY (account_id, role)
);

CREATE TABLE sessions (
    id              BLOB PRIMARY KEY,
    token_hash      BLOB NOT NULL UNIQUE,
    account_id      BLOB NOT NULL REFERENCES accounts(id),
    organisation_id BLOB NOT NULL REFERENCES organisations(id),
    csrf_token      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    ended_at        INTEGER,
    end_reason      TEXT,
    client_addr     TEXT,
    user_agent      TEXT
);
CREATE INDEX sessions_account ON sessions(account_id);
CREATE INDEX sessions_open ON sessions(last_seen_at) WHERE ended_at IS NULL;

CREATE TABLE password_links (
    id         BLOB PRIMARY KEY,
    account_id BLOB NOT NULL REFERENCES accounts(id),
    token_hash BLOB NOT NULL UNIQUE,
    purpose    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);

CREATE TABLE login_throttle (
    login                TEXT PRIMARY KEY,
    attempts_in_window   INTEGER NOT NULL DEFAULT 0,
    window_started_at    INTEGER,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    not_before           INTEGER
);

-- Directory of named people per organisation (Annex 1).
CREATE TABLE contacts (
    id              BLOB PRIMARY KEY,
    organisation_id BLOB NOT NULL REFERENCES organisations(id),
    function        TEXT NOT NULL,
    name            TEXT NOT NULL,
    title           TEXT,
    email           TEXT,
    phone           TEXT
);
CREATE INDEX contacts_organisation ON contacts(organisation_id);

-- Service catalogue.
CREATE TABLE services (
    id          BLOB PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    label       TEXT NOT NULL,
    description TEXT NOT NULL
);
CREATE TABLE service_roles (
    id         BLOB PRIMARY KEY,
    service_id BLOB NOT NULL REFERENCES services(id),
    code       TEXT NOT NULL,
    label      TEXT NOT NULL,
    UNIQUE (service_id, code)
);

-- Delegated management (filled by the partner-side capability).
CREATE TABLE groups (
    id              BLOB PRIMARY KEY,
    organisation_id BLOB NOT NULL REFERENCES organisations(id),
    name            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (organisation_id, name)
);
CREATE TABLE group_members (
    group_id   BLOB NOT NULL REFERENCES groups(id),
    account_id BLOB NOT NULL REFERENCES accounts(id),
    added_at   INTEGER NOT NULL,
    added_by   BLOB REFERENCES accounts(id),
    PRIMARY KEY (group_id, account_id)
);
CREATE TABLE mandates (
    id                BLOB PRIMARY KEY,
    organisation_id   BLOB NOT NULL REFERENCES organisations(id),
    holder_id         BLOB NOT NULL REFERENCES accounts(id),
    given_by          BLOB NOT NULL REFERENCES accounts(id),
    parent_mandate_id BLOB REFERENCES mandates(id),
    may_manage_users  BOOLEAN NOT NULL,
    may_manage_groups BOOLEAN NOT NULL,
    may_delegate      BOOLEAN NOT NULL,
    scope             TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    withdrawn_at      INTEGER
);
CREATE TABLE grants (
    id                 BLOB PRIMARY KEY,
    organisation_id    BLOB NOT NULL REFERENCES organisations(id),
    service_id         BLOB NOT NULL REFERENCES services(id),
    service_role_id    BLOB NOT NULL REFERENCES service_roles(id),
    holder_account_id  BLOB REFERENCES accounts(id),
    holder_group_id    BLOB REFERENCES groups(id),
    purpose            TEXT NOT NULL,
    starts_on          TEXT NOT NULL,
    ends_on            TEXT,
    state              TEXT NOT NULL CHECK (state IN ('active', 'suspended', 'revoked')),
    created_by         BLOB NOT NULL REFERENCES accounts(id),
    created_under      BLOB REFERENCES mandates(id),
    created_at         INTEGER NOT NULL,
    ended_at           INTEGER,
    CHECK ((holder_account_id IS NULL) <> (holder_group_id IS NULL))
);
CREATE INDEX grants_organisation ON grants(organisation_id, service_id);

-- The audit trail: one hash chain per organisation (nil UUID for events without one).
CREATE TABLE traces (
    chain_id        BLOB NOT NULL,
    seq             INTEGER NOT NULL,
    id              BLOB NOT NULL UNIQUE,
    at              INTEGER NOT NULL,
    actor_id        BLOB,
    actor_login     TEXT,
    organisation_id BLOB,
    session_id      BLOB,
    client_addr     TEXT,
    user_agent      TEXT,
    action          TEXT NOT NULL,
    target          TEXT,
    outcome         TEXT NOT NULL,
    detail          TEXT,
    prev_seal       BLOB NOT NULL,
    seal            BLOB NOT NULL,
    PRIMARY KEY (chain_id, seq)
);
CREATE INDEX traces_at ON traces(at);
CREATE TABLE trace_heads (
    chain_id BLOB PRIMARY KEY,
    seq      INTEGER NOT NULL,
    seal     BLOB NOT NULL
);
