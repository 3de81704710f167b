-- Staged endorsement: agents, immutable kernel versions, endorsements, chat exchanges and the
-- shadow samples scored against staged changes.

CREATE TABLE IF NOT EXISTS agents (
  id              text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  settings        jsonb NOT NULL,
  -- NULL: the agent has no probe battery, so its cooldowns carry the no-probe penalty.
  probe_battery   jsonb,
  current_version integer NOT NULL DEFAULT 1 CHECK (current_version >= 1),
  created_at      timestamptz NOT NULL DEFAULT now()
);

-- Every kernel change is a new row; (agent_id, version) is the compare-and-set key, so a retried
-- activity can never apply the same change twice.
CREATE TABLE IF NOT EXISTS kernel_versions (
  agent_id       text NOT NULL REFERENCES agents (id),
  version        integer NOT NULL CHECK (version >= 1),
  definition     jsonb NOT NULL,
  endorsement_id text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (agent_id, version)
);

CREATE OR REPLACE FUNCTION kernel_versions_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'kernel_versions are immutable: add a new version instead';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS kernel_versions_no_update ON kernel_versions;
CREATE TRIGGER kernel_versions_no_update BEFORE UPDATE OR DELETE ON kernel_versions
  FOR EACH ROW EXECUTE FUNCTION kernel_versions_immutable();

CREATE TABLE IF NOT EXISTS endorsements (
  id              text PRIMARY KEY,
  agent_id        text NOT NULL REFERENCES agents (id),
  rule_text       text NOT NULL,
  conflict_kind   text NOT NULL CHECK (conflict_kind IN ('anchor', 'commitment', 'none')),
  -- The anchor or commitment the rule touches; NULL for a rule with no conflict.
  target          text,
  change          jsonb,
  reason          text NOT NULL,
  base_version    integer NOT NULL,
  settings        jsonb NOT NULL,
  state           text NOT NULL CHECK (state IN ('pending', 'staged', 'inconclusive', 'applied', 'promoted', 'rejected', 'aborted', 'expired')),
  requested_by    text,
  decided_by      text,
  decision        text CHECK (decision IN ('approve', 'stage', 'reject')),
  staged_at       timestamptz,
  deadline_at     timestamptz,
  cap_at          timestamptz,
  applied_version integer,
  outcome_reason  text,
  outcome_score   double precision,
  -- Set by the live path when it has queued samples and the workflow has not been woken yet:
  -- at most one wake-up signal is outstanding, however high the traffic.
  wake_requested  boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS endorsements_one_open_per_target
  ON endorsements (agent_id, target) WHERE state IN ('pending', 'staged', 'inconclusive');
CREATE INDEX IF NOT EXISTS endorsements_agent_state_idx ON endorsements (agent_id, state);

-- Conversation text lives here and only here; workflows and provenance carry the id.
CREATE TABLE IF NOT EXISTS chat_exchanges (
  id             text PRIMARY KEY,
  agent_id       text NOT NULL REFERENCES agents (id),
  kernel_version integer NOT NULL,
  prompt         text NOT NULL,
  response       text NOT NULL,
  model          text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS shadow_samples (
  endorsement_id  text NOT NULL REFERENCES endorsements (id),
  exchange_id     text NOT NULL REFERENCES chat_exchanges (id),
  seq             bigserial,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'scored', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  shadow_response text,
  model           text,
  divergence      double precision,
  drift           double precision,
  tier            text,
  critical        boolean,
  judge           jsonb,
  reason          text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  scored_at       timestamptz,
  PRIMARY KEY (endorsement_id, exchange_id)
);
CREATE INDEX IF NOT EXISTS shadow_samples_pending_idx ON shadow_samples (endorsement_id, status, seq);
