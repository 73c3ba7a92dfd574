-- The caisse's service desk (Art. 3, 4; R40–R42): incidents opened by the partners'
-- managers with their timeline, escalated after 10 business days of silence (or at once
-- when urgent); planned outages of services.
CREATE TABLE incidents (
    id               BLOB PRIMARY KEY,
    reference        TEXT NOT NULL UNIQUE,
    caisse_id        BLOB NOT NULL REFERENCES organisations(id),
    partner_id       BLOB NOT NULL REFERENCES organisations(id),
    service_id       BLOB NOT NULL REFERENCES services(id),
    opened_by        BLOB NOT NULL REFERENCES accounts(id),
    subject          TEXT NOT NULL,
    description      TEXT NOT NULL,
    urgent           BOOLEAN NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'closed')),
    team             TEXT,
    national         BOOLEAN NOT NULL,
    awaiting         TEXT CHECK (awaiting IN ('partner', 'desk')),
    awaiting_since   INTEGER NOT NULL,
    due_on           TEXT,
    escalation_level INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    closed_at        INTEGER
);
CREATE INDEX incidents_partner ON incidents(partner_id, created_at);
CREATE INDEX incidents_caisse ON incidents(caisse_id, status);
CREATE TABLE incident_steps (
    incident_id BLOB NOT NULL REFERENCES incidents(id),
    seq         INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('opened', 'message', 'qualified', 'national', 'urgent', 'escalated', 'closed')),
    author_id   BLOB REFERENCES accounts(id),
    side        TEXT CHECK (side IN ('partner', 'desk')),
    body        TEXT,
    at          INTEGER NOT NULL,
    PRIMARY KEY (incident_id, seq)
);
CREATE TABLE outages (
    id           BLOB PRIMARY KEY,
    caisse_id    BLOB NOT NULL REFERENCES organisations(id),
    service_id   BLOB NOT NULL REFERENCES services(id),
    starts_at    INTEGER NOT NULL,
    ends_at      INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    announced_by BLOB NOT NULL REFERENCES accounts(id),
    announced_at INTEGER NOT NULL,
    cancelled_at INTEGER
);
CREATE INDEX outages_service ON outages(service_id, ends_at);
