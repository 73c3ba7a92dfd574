-- Records of rights kept 6 years after they end (Art. 5.3.2): who revoked a grant, and
-- every period of membership of a group (who held a right through it, from when to when,
-- added and removed by whom), kept after the removal and after the group is deleted.
ALTER TABLE grants ADD COLUMN ended_by BLOB REFERENCES accounts(id);

CREATE TABLE group_memberships (
    id              BLOB PRIMARY KEY NOT NULL,
    organisation_id BLOB NOT NULL REFERENCES organisations(id),
    group_id        BLOB NOT NULL,
    group_name      TEXT NOT NULL,
    account_id      BLOB NOT NULL REFERENCES accounts(id),
    added_at        INTEGER NOT NULL,
    added_by        BLOB REFERENCES accounts(id),
    removed_at      INTEGER,
    removed_by      BLOB REFERENCES accounts(id)
);
CREATE INDEX group_memberships_account ON group_memberships(account_id);
CREATE INDEX group_memberships_group ON group_memberships(group_id, account_id);

INSERT INTO group_memberships (id, organisation_id, group_id, group_name, account_id, added_at, added_by)
SELECT randomblob(16), g.organisation_id, g.id, g.name, m.account_id, m.added_at, m.added_by
FROM group_members m JOIN groups g ON g.id = m.group_id;
