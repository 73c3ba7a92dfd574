-- The caisse's service desk (Art. 3, 4; R40–R42): incidents opened by the partners'
-- managers with their timeline, escalated after 10 business days of silence (or at once
-- when urgent); planned outages of services.
CREATE TABLE incidents (
    id               UUID PRIMARY KEY,
    reference        TEXT NOT NULL UNIQUE,
    caisse_id        UUID NOT NULL REFERENCES organisations(id),
    partner_id       UUID NOT NULL REFERENCES organisations(id),
    service_id       UUID NOT NULL REFERENCES services(id),
    opened_by        UUID NOT NULL REFERENCES accounts(id),
    subject          TEXT NOT NULL,
    description      TEXT NOT NULL,
    urgent           BOOLEAN NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'closed')),
    team             TEXT,
    national         BOOLEAN NOT NULL,
    awaiting         TEXT CHECK (awaiting IN ('partner', 'desk')),
    awaiting_since   BIGINT NOT NULL,
    due_on           TEXT,
    escalation_level BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    closed_at        BIGINT
);
CREATE INDEX incidents_partner ON incidents(partner_id, created_at);
CREATE INDEX incidents_caisse ON incidents(caisse_id, status);
CREATE TABLE incident_steps (
    incident_id UUID NOT NULL REFERENCES incidents(id),
    seq         BIGINT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('opened', 'message', 'qualified', 'national', 'urgent', 'escalated', 'closed')),
    author_id   UUID REFERENCES accounts(id),
    side        TEXT CHECK (side IN ('partner', 'desk')),
    body        TEXT,
    at          BIGINT NOT NULL,
    PRIMARY KEY (incident_id, seq)
);
CREATE TABLE outages (
    id           UUID PRIMARY KEY,
    caisse_id    UUID NOT NULL REFERENCES organisations(id),
    service_id   UUID NOT NULL REFERENCES services(id),
    starts_at    BIGINT NOT NULL,
    ends_at      BIGINT NOT NULL,
    reason       TEXT NOT NULL,
    announced_by UUID NOT NULL REFERENCES accounts(id),
    announced_at BIGINT NOT NULL,
    cancelled_at BIGINT
);
CREATE INDEX outages_service ON outages(service_id, ends_at);
