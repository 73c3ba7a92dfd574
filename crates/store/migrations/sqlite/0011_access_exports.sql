-- Right of access (Art. 5.3.4): the administrators' export of the requester's traces is
-- recorded (when, by whom), reaches the requester in the portal, and is required before
-- the request is marked answered.
ALTER TABLE access_requests ADD COLUMN exported_at INTEGER;
ALTER TABLE access_requests ADD COLUMN exported_by BLOB REFERENCES accounts(id);
