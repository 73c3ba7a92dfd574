-- Traceability (R60–R64): the trail becomes a table partitioned by month (of `at`, in
-- microseconds since the epoch) so that the purge drops whole partitions; a DEFAULT
-- partition catches anything outside the months prepared by `ensure_trace_partitions`
-- (run at start and daily). The primary key must include the partition key.
ALTER TABLE traces RENAME TO traces_unpartitioned;
ALTER INDEX traces_at RENAME TO traces_unpartitioned_at;
CREATE TABLE traces (
    chain_id        UUID NOT NULL,
    seq             BIGINT NOT NULL,
    id              UUID NOT NULL,
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
    PRIMARY KEY (chain_id, seq, at)
) PARTITION BY RANGE (at);
CREATE TABLE traces_default PARTITION OF traces DEFAULT;
INSERT INTO traces SELECT chain_id, seq, id, at, actor_id, actor_login, organisation_id, session_id, client_addr,
    user_agent, action, target, outcome, detail, prev_seal, seal FROM traces_unpartitioned;
DROP TABLE traces_unpartitioned;
CREATE INDEX traces_at ON traces(at);
CREATE INDEX traces_chain_at ON traces(chain_id, at);
CREATE INDEX traces_login_at ON traces(actor_login, at);
CREATE INDEX traces_session ON traces(session_id);

-- Monotonic time per chain.
ALTER TABLE trace_heads ADD COLUMN at BIGINT NOT NULL DEFAULT 0;

CREATE TABLE trace_checkpoints (
    id          UUID PRIMARY KEY,
    chain_id    UUID NOT NULL,
    seq         BIGINT NOT NULL,
    seal        BYTEA NOT NULL,
    removed     BIGINT NOT NULL,
    cutoff_at   BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    public_key  BYTEA NOT NULL,
    signature   BYTEA NOT NULL,
    UNIQUE (chain_id, seq)
);

CREATE TABLE access_requests (
    id              UUID PRIMARY KEY,
    organisation_id UUID NOT NULL REFERENCES organisations(id),
    requester_id    UUID NOT NULL REFERENCES accounts(id),
    superior_id     UUID NOT NULL REFERENCES accounts(id),
    reason          TEXT,
    status          TEXT NOT NULL,
    due_on          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    forwarded_at    BIGINT,
    answered_by     UUID REFERENCES accounts(id),
    answered_at     BIGINT
);
CREATE INDEX access_requests_organisation ON access_requests(organisation_id, created_at);
