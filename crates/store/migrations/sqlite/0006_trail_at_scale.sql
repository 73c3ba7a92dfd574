-- Traceability (R60–R64): indexes for the trace viewer, monotonic time per chain (so that
-- "older than the cut-off" is always a prefix of a chain), the signed checkpoints left by
-- each purge, and rights-of-access requests.
ALTER TABLE trace_heads ADD COLUMN at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX traces_chain_at ON traces(chain_id, at);
CREATE INDEX traces_login_at ON traces(actor_login, at);
CREATE INDEX traces_session ON traces(session_id);

CREATE TABLE trace_checkpoints (
    id          BLOB PRIMARY KEY,
    chain_id    BLOB NOT NULL,
    seq         INTEGER NOT NULL,
    seal        BLOB NOT NULL,
    removed     INTEGER NOT NULL,
    cutoff_at   INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    public_key  BLOB NOT NULL,
    signature   BLOB NOT NULL,
    UNIQUE (chain_id, seq)
);

CREATE TABLE access_requests (
    id              BLOB PRIMARY KEY,
    organisation_id BLOB NOT NULL REFERENCES organisations(id),
    requester_id    BLOB NOT NULL REFERENCES accounts(id),
    superior_id     BLOB NOT NULL REFERENCES accounts(id),
    reason          TEXT,
    status          TEXT NOT NULL,
    due_on          TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    forwarded_at    INTEGER,
    answered_by     BLOB REFERENCES accounts(id),
    answered_at     INTEGER
);
CREATE INDEX access_requests_organisation ON access_requests(organisation_id, created_at);
