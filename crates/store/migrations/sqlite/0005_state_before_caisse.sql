-- The state a grant had when the caisse suspended it, to restore on lifting (a grant the
-- partner had suspended itself stays suspended).
ALTER TABLE grants ADD COLUMN state_before_caisse TEXT;
