-- A late yearly review escalates like an unanswered incident (Art. 2.2.2 with 3.3): every
-- 10 business days past its due date, to the partner's next escalation contact.
ALTER TABLE reviews ADD COLUMN escalation_level BIGINT NOT NULL DEFAULT 0;
