-- When a grant was last used by its business service (a token issued or a positive
-- check), written in batches (issue 13): shown on the person's file, the grants list and
-- the yearly review.
ALTER TABLE grants ADD COLUMN last_used_at BIGINT;
