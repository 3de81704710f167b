-- Webhook notifications. The secret signs deliveries and never leaves this table: workflows,
-- provenance entries and API listings carry the subscription id only.
CREATE TABLE IF NOT EXISTS webhook_subscriptions (
  id           text PRIMARY KEY CHECK (id ~ '^wh_[a-f0-9]{16}$'),
  url          text NOT NULL CHECK (url ~ '^https?://'),
  event_types  text[] NOT NULL CHECK (cardinality(event_types) >= 1),
  secret       text NOT NULL,
  max_attempts integer NOT NULL DEFAULT 6 CHECK (max_attempts BETWEEN 1 AND 20),
  created_by   text,
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- One row per (event, subscription): the unique pair is what makes a re-run delivery workflow
-- pick up the row it already has instead of sending a second copy. The body is stored once so
-- every retry sends (and signs) exactly the same bytes. No FK to the subscription: its delivery
-- history outlives its removal.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  delivery_id     text PRIMARY KEY,
  event_id        text NOT NULL,
  event_type      text NOT NULL,
  subject         text NOT NULL,
  subscription_id text NOT NULL,
  url             text NOT NULL,
  body            text NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'retrying', 'delivered', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  response_code   integer,
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  last_attempt_at timestamptz,
  finished_at     timestamptz,
  UNIQUE (event_id, subscription_id)
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_type_idx ON webhook_deliveries (event_type, created_at DESC);
CREATE INDEX IF NOT EXISTS webhook_deliveries_status_idx ON webhook_deliveries (status);
