-- Annex 2 changes by amendment (Art. 6): every save of a subscription is kept — who, when,
-- what changed, and the date the amendment was signed (once the subscription is signed,
-- a change needs one) — for the partner's file and the printed contract.
CREATE TABLE subscription_changes (
    id          BLOB PRIMARY KEY NOT NULL,
    partner_id  BLOB NOT NULL REFERENCES organisations(id),
    service_id  BLOB NOT NULL REFERENCES services(id),
    changed_at  INTEGER NOT NULL,
    changed_by  BLOB REFERENCES accounts(id),
    signed_on   TEXT,
    changes     TEXT NOT NULL
);
CREATE INDEX subscription_changes_partner ON subscription_changes(partner_id, changed_at);
