-- log_requests (the agent setting logRequests): every exchange records the SHA-256 and length of
-- its prompt and answer; for an agent with logRequests off the text itself is blanked once the
-- exchange's shadow samples are scored (at once when none was queued), and redacted_at says when.
ALTER TABLE chat_exchanges ADD COLUMN IF NOT EXISTS prompt_sha256 text;
ALTER TABLE chat_exchanges ADD COLUMN IF NOT EXISTS prompt_length integer;
ALTER TABLE chat_exchanges ADD COLUMN IF NOT EXISTS response_sha256 text;
ALTER TABLE chat_exchanges ADD COLUMN IF NOT EXISTS response_length integer;
ALTER TABLE chat_exchanges ADD COLUMN IF NOT EXISTS redacted_at timestamptz;
