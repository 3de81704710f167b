-- Exchanges a gateway opened (the LiteLLM guardrail's request phase) and has not yet seen answered:
-- the response phase takes the prompt back by the gateway's call id and records the whole exchange
-- in chat_exchanges. The text lives here as it does there, never in workflow histories.
CREATE TABLE IF NOT EXISTS gateway_exchanges (
  call_id        text PRIMARY KEY CHECK (length(call_id) BETWEEN 1 AND 200),
  agent_id       text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  kernel_version integer NOT NULL,
  prompt         text NOT NULL,
  opened_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS gateway_exchanges_opened_idx ON gateway_exchanges (opened_at);
