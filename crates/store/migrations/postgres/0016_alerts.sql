-- Alerts on atypical use (R24): each caisse's rules (a JSON document of switches and
-- thresholds), and the alerts raised as traces are written — one per person, rule and
-- period (the day; the hour for failures; the day and network for a new network).
CREATE TABLE alert_rules (
    caisse_id   UUID PRIMARY KEY REFERENCES organisations(id),
    settings    TEXT NOT NULL,
    updated_by  UUID NOT NULL REFERENCES accounts(id),
    updated_at  BIGINT NOT NULL
);
CREATE TABLE alerts (
    id              UUID PRIMARY KEY,
    caisse_id       UUID NOT NULL REFERENCES organisations(id),
    organisation_id UUID NOT NULL REFERENCES organisations(id),
    account_id      UUID NOT NULL REFERENCES accounts(id),
    rule            TEXT NOT NULL CHECK (rule IN ('off_hours', 'volume', 'new_network', 'failures', 'dormant')),
    period          TEXT NOT NULL,
    raised_at       BIGINT NOT NULL,
    -- What was measured, and the ids of the traces that show it (JSON).
    facts           TEXT NOT NULL,
    evidence        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('open', 'acknowledged')),
    acknowledged_by UUID REFERENCES accounts(id),
    acknowledged_at BIGINT,
    comment         TEXT,
    -- What the caisse did from the alert (queries, precautionary suspensions; JSON).
    actions         TEXT NOT NULL,
    UNIQUE (account_id, rule, period)
);
CREATE INDEX alerts_caisse ON alerts(caisse_id, raised_at);
