-- The trail's storage made lean for the appends of every signed-in read (issue 14): the
-- index on `at` alone goes (every query by time names its chains and uses (chain_id, at);
-- the purge drops whole monthly partitions).
DROP INDEX IF EXISTS traces_at;
