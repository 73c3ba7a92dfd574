-- Logins are chosen within the organisation's own namespace (issue 11, finding 8): each
-- organisation's prefix ("mons" for "mons.jdupont") is unique, so a login a partner asks
-- for can only collide with its own people's, and "already in use" tells nothing of
-- another organisation. Existing organisations get theirs when they next create a login.
CREATE TABLE login_prefixes (
    organisation_id UUID PRIMARY KEY REFERENCES organisations(id),
    prefix          TEXT NOT NULL UNIQUE
);
