-- Records of rights kept 6 years after they end (Art. 5.3.2): who revoked a grant, and
-- every period of membership of a group (who held a right through it, from when to when,
-- added and removed by whom), kept after the removal and after the group is deleted.
ALTER TABLE grants ADD COLUMN ended_by UUID REFERENCES accounts(id);

CREATE TABLE group_memberships (
    id              UUID PRIMARY KEY,
    organisation_id UUID NOT NULL REFERENCES organisations(id),
    group_id        UUID NOT NULL,
    group_name      TEXT NOT NULL,
    account_id      UUID NOT NULL REFERENCES accounts(id),
    added_at        BIGINT NOT NULL,
    added_by        UUID REFERENCES accounts(id),
    removed_at      BIGINT,
    removed_by      UUID REFERENCES accounts(id)
);
CREATE INDEX group_memberships_account ON group_memberships(account_id);
CREATE INDEX group_memberships_group ON group_memberships(group_id, account_id);

INSERT INTO group_memberships (id, organisation_id, group_id, group_name, account_id, added_at, added_by)
SELECT gen_random_uuid(), g.organisation_id, g.id, g.name, m.account_id, m.added_at, m.added_by
FROM group_members m JOIN groups g ON g.id = m.group_id;
