-- Caisse supervision (R21): a grant suspended by the caisse, and why; only the caisse lifts it.
ALTER TABLE grants ADD COLUMN suspended_by_caisse BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE grants ADD COLUMN suspension_reason TEXT;
