-- Delegation review: ABP versions and the current pointer per scope, exports that embed an ABP,
-- checked actions, the evidence the triggers count (drift signals, coherence runs, claims), and
-- reviews with their outputs, votes and escalations.

-- Every ABP version ever accepted, keyed by its content hash. Never changed or removed.
CREATE TABLE IF NOT EXISTS abp_versions (
  abp_hash    text PRIMARY KEY CHECK (abp_hash ~ '^sha256:[a-f0-9]{64}$'),
  abp_id      text NOT NULL CHECK (abp_id ~ '^ABP-[a-f0-9]{8}$'),
  scope_key   text NOT NULL,
  document    jsonb NOT NULL,
  source      text NOT NULL CHECK (source IN ('build', 'seed', 'patch', 'replace')),
  supersedes  text REFERENCES abp_versions (abp_hash),
  review_id   text,
  created_by  text,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS abp_versions_id_idx ON abp_versions (abp_id, recorded_at);

CREATE OR REPLACE FUNCTION abp_versions_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'abp_versions are immutable: build, patch or replace to add a version';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS abp_versions_no_update ON abp_versions;
CREATE TRIGGER abp_versions_no_update BEFORE UPDATE OR DELETE ON abp_versions
  FOR EACH ROW EXECUTE FUNCTION abp_versions_immutable();

-- The current ABP of each scope. `version` is the compare-and-set key every change goes through.
CREATE TABLE IF NOT EXISTS abp_current (
  scope_key      text PRIMARY KEY,
  abp_id         text NOT NULL UNIQUE,
  abp_hash       text NOT NULL REFERENCES abp_versions (abp_hash),
  status         text NOT NULL CHECK (status IN ('active', 'revoked', 'replaced')),
  status_reason  text,
  replaced_by    text,
  version        integer NOT NULL CHECK (version >= 1),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Artifacts that embed an ABP: a JSON document in the export directory plus this row.
CREATE TABLE IF NOT EXISTS abp_exports (
  export_id  text PRIMARY KEY CHECK (export_id ~ '^[a-z0-9][a-z0-9_.-]{0,127}$'),
  module     text NOT NULL,
  abp_id     text NOT NULL,
  abp_hash   text NOT NULL REFERENCES abp_versions (abp_hash),
  file_name  text NOT NULL,
  stamp      integer NOT NULL DEFAULT 1,
  stamped_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS abp_exports_abp_idx ON abp_exports (abp_id);

-- Every action checked under an ABP, with each validator's result. DRT-002 counts the blocked
-- irreversible ones through the partial index.
CREATE TABLE IF NOT EXISTS abp_action_checks (
  check_id    text PRIMARY KEY,
  abp_id      text NOT NULL,
  abp_hash    text,
  agent_id    text,
  action      jsonb NOT NULL,
  irreversible boolean NOT NULL,
  decision    text NOT NULL CHECK (decision IN ('allowed', 'warned', 'escalated', 'degraded', 'blocked')),
  results     jsonb NOT NULL,
  escalations jsonb NOT NULL,
  checked_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS abp_action_checks_blocked_idx ON abp_action_checks (abp_id, checked_at)
  WHERE irreversible AND decision = 'blocked';
CREATE INDEX IF NOT EXISTS abp_action_checks_abp_idx ON abp_action_checks (abp_id, checked_at);

CREATE TABLE IF NOT EXISTS drift_signals (
  signal_id           text PRIMARY KEY,
  abp_id              text NOT NULL,
  type                text NOT NULL CHECK (type IN ('time', 'freshness', 'fallback', 'bypass', 'verify', 'outcome', 'fanout', 'contention')),
  severity            text NOT NULL CHECK (severity IN ('green', 'yellow', 'red')),
  fingerprint_key     text NOT NULL,
  fingerprint_version text NOT NULL,
  observed_at         timestamptz NOT NULL,
  summary             text,
  ingested_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS drift_signals_fingerprint_idx ON drift_signals (abp_id, observed_at, fingerprint_key);
CREATE INDEX IF NOT EXISTS drift_signals_open_idx ON drift_signals (abp_id, observed_at) WHERE severity IN ('red', 'yellow');

CREATE TABLE IF NOT EXISTS coherence_runs (
  run_id      text PRIMARY KEY,
  abp_id      text NOT NULL,
  score       double precision NOT NULL CHECK (score >= 0 AND score <= 100),
  observed_at timestamptz NOT NULL,
  ingested_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS coherence_runs_abp_idx ON coherence_runs (abp_id, observed_at DESC);
CREATE INDEX IF NOT EXISTS coherence_runs_passing_idx ON coherence_runs (abp_id, score, observed_at);

CREATE TABLE IF NOT EXISTS claims (
  abp_id      text NOT NULL,
  claim_id    text NOT NULL,
  statement   text,
  expires_at  timestamptz NOT NULL,
  observed_at timestamptz,
  ingested_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (abp_id, claim_id)
);
CREATE INDEX IF NOT EXISTS claims_expiry_idx ON claims (abp_id, expires_at);

-- One row per review, queued (auto_open false) or open until it concludes. The partial unique
-- index is the "never two open reviews for the same ABP and trigger" rule.
CREATE TABLE IF NOT EXISTS delegation_reviews (
  review_id        text PRIMARY KEY,
  abp_id           text NOT NULL,
  abp_hash         text NOT NULL,
  trigger_id       text NOT NULL CHECK (trigger_id ~ '^DRT-[0-9]{3}$'),
  severity         text NOT NULL CHECK (severity IN ('warn', 'critical')),
  state            text NOT NULL CHECK (state IN ('queued', 'open', 'applied', 'dismissed', 'timed_out', 'failed')),
  policy           jsonb NOT NULL,
  reading          jsonb,
  opened_by        text,
  workflow_started boolean NOT NULL DEFAULT false,
  outcome          jsonb,
  queued_at        timestamptz NOT NULL DEFAULT now(),
  opened_at        timestamptz,
  concluded_at     timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS delegation_reviews_active_idx ON delegation_reviews (abp_id, trigger_id)
  WHERE state IN ('queued', 'open');
-- Evidence counts only after the last applied or dismissed review of the same ABP and trigger.
CREATE INDEX IF NOT EXISTS delegation_reviews_concluded_idx ON delegation_reviews (abp_id, trigger_id, concluded_at DESC)
  WHERE state IN ('applied', 'dismissed');
CREATE INDEX IF NOT EXISTS delegation_reviews_state_idx ON delegation_reviews (state, queued_at);

-- The documents approvals name, per review; the first principal to name one is its author.
CREATE TABLE IF NOT EXISTS delegation_review_outputs (
  review_id   text NOT NULL REFERENCES delegation_reviews (review_id),
  output_hash text NOT NULL CHECK (output_hash ~ '^sha256:[a-f0-9]{64}$'),
  kind        text NOT NULL CHECK (kind IN ('abp_patch', 'abp_replace', 'abp_revoke')),
  document    jsonb NOT NULL,
  authored_by text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (review_id, output_hash)
);

-- One vote per principal per review: the primary key is the rule.
CREATE TABLE IF NOT EXISTS delegation_review_votes (
  review_id   text NOT NULL REFERENCES delegation_reviews (review_id),
  principal   text NOT NULL,
  decision    text NOT NULL CHECK (decision IN ('approve', 'dismiss')),
  output_hash text,
  reason      text NOT NULL,
  voted_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (review_id, principal),
  FOREIGN KEY (review_id, output_hash) REFERENCES delegation_review_outputs (review_id, output_hash)
);

-- Escalation paths that fired (a validator's escalate, a review that timed out).
CREATE TABLE IF NOT EXISTS delegation_escalations (
  escalation_id text PRIMARY KEY,
  abp_id        text NOT NULL,
  source        text NOT NULL CHECK (source IN ('validator', 'review_timeout')),
  reference     text NOT NULL,
  trigger_name  text NOT NULL,
  destination   text NOT NULL,
  severity      text NOT NULL CHECK (severity IN ('info', 'warn', 'critical')),
  fired_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS delegation_escalations_abp_idx ON delegation_escalations (abp_id, fired_at);
