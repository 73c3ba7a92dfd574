-- The yearly access review (contract Art. 2.2.2, R30–R31): a campaign the caisse opens
-- (year, due date), one review per partner, one decision per grant or mandate (keep or
-- revoke, with a comment), and the signed proof of a completed review (kept 6 years).
CREATE TABLE review_campaigns (
    id          BLOB PRIMARY KEY,
    caisse_id   BLOB NOT NULL REFERENCES organisations(id),
    year        INTEGER NOT NULL,
    due_on      TEXT NOT NULL,
    opened_by   BLOB NOT NULL REFERENCES accounts(id),
    opened_at   INTEGER NOT NULL,
    UNIQUE (caisse_id, year)
);
CREATE TABLE reviews (
    id              BLOB PRIMARY KEY,
    campaign_id     BLOB NOT NULL REFERENCES review_campaigns(id),
    organisation_id BLOB NOT NULL REFERENCES organisations(id),
    completed_at    INTEGER,
    completed_by    BLOB REFERENCES accounts(id),
    report          TEXT,
    digest          TEXT,
    signature       TEXT,
    public_key      TEXT,
    -- When the partner's administrators were reminded (a week before the due date), and
    -- when the review was reported late (to them and to the caisse): each once.
    reminded_at     INTEGER,
    late_notice_at  INTEGER,
    UNIQUE (campaign_id, organisation_id)
);
CREATE INDEX reviews_organisation ON reviews(organisation_id);
CREATE TABLE review_decisions (
    review_id    BLOB NOT NULL REFERENCES reviews(id),
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('grant', 'mandate')),
    subject_id   BLOB NOT NULL,
    decision     TEXT NOT NULL CHECK (decision IN ('keep', 'revoke')),
    comment      TEXT NOT NULL,
    decided_by   BLOB NOT NULL REFERENCES accounts(id),
    decided_at   INTEGER NOT NULL,
    PRIMARY KEY (review_id, subject_kind, subject_id)
);
-- Parts of a review the administrator delegates to a manager: the grants within that
-- manager's mandates (Art. 2.2.2).
CREATE TABLE review_delegates (
    review_id    BLOB NOT NULL REFERENCES reviews(id),
    account_id   BLOB NOT NULL REFERENCES accounts(id),
    delegated_by BLOB NOT NULL REFERENCES accounts(id),
    delegated_at INTEGER NOT NULL,
    PRIMARY KEY (review_id, account_id)
);
