-- Caisse queries on grants (R20): a question with a due date, answered by the partner's
-- administrators, closed by the caisse; optionally suspends the grant at the due date.
CREATE TABLE grant_queries (
    id                 UUID PRIMARY KEY,
    grant_id           UUID NOT NULL REFERENCES grants(id),
    partner_id         UUID NOT NULL REFERENCES organisations(id),
    question           TEXT NOT NULL,
    due_on             TEXT NOT NULL,
    auto_suspend       BOOLEAN NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('open', 'answered', 'closed')),
    answer             TEXT,
    answered_by        UUID REFERENCES accounts(id),
    answered_at        BIGINT,
    created_by         UUID NOT NULL REFERENCES accounts(id),
    created_at         BIGINT NOT NULL,
    closed_at          BIGINT,
    auto_suspended_at  BIGINT
);
CREATE INDEX grant_queries_partner ON grant_queries(partner_id, status);
