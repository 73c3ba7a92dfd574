-- The trail's storage made lean for the appends of every signed-in read (issue 14): the
-- records are kept in the order of their chain (WITHOUT ROWID, keyed by chain and number:
-- one B-tree instead of a table plus its key's index), and two indexes no query needs any
-- more go: `id`'s (identifiers are time-ordered UUIDs made by the portal; the key is
-- (chain_id, seq)) and `at`'s (every query by time names its chains and uses
-- (chain_id, at)). Three secondary indexes remain: by chain and time, by login and time,
-- by session.
CREATE TABLE traces_lean (
    chain_id        BLOB NOT NULL,
    seq             INTEGER NOT NULL,
    id              BLOB NOT NULL,
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
) WITHOUT ROWID;
INSERT INTO traces_lean SELECT chain_id, seq, id, at, actor_id, actor_login, organisation_id, session_id,
    client_addr, user_agent, action, target, outcome, detail, prev_seal, seal FROM traces;
DROP TABLE traces;
ALTER TABLE traces_lean RENAME TO traces;
CREATE INDEX traces_chain_at ON traces(chain_id, at);
CREATE INDEX traces_login_at ON traces(actor_login, at);
CREATE INDEX traces_session ON traces(session_id);
