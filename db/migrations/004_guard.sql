-- Guard-loop proposals: reviewed feedback -> gated calibration / LoRA proposals -> approval ->
-- release. Warden never applies a released payload; it only keeps the audit trail together.
-- Records handed out verbatim (envelope, request, payload, decision, gates, bundle, safety
-- event) are `json`, not `jsonb`, so they come back with the key order they were written in.

-- The only table that holds prompt and response text. Everything else refers to event ids.
CREATE TABLE IF NOT EXISTS guard_feedback_events (
  event_id     text PRIMARY KEY CHECK (event_id <> ''),
  tenant_id    text NOT NULL CHECK (tenant_id <> ''),
  label        text NOT NULL CHECK (label IN ('safe', 'unsafe', 'false_positive', 'false_negative')),
  reviewer_id  text NOT NULL CHECK (reviewer_id <> ''),
  prompt       text NOT NULL,
  response     text NOT NULL,
  metadata     jsonb NOT NULL,
  occurred_at  timestamptz NOT NULL,
  -- Hash of the normalised row: a re-ingested event_id with the same hash is a no-op, with a
  -- different hash it is a conflict.
  row_hash     text NOT NULL,
  ingested_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS guard_feedback_tenant_time_idx ON guard_feedback_events (tenant_id, occurred_at);
CREATE INDEX IF NOT EXISTS guard_feedback_time_idx ON guard_feedback_events (occurred_at);

CREATE TABLE IF NOT EXISTS guard_policies (
  policy_id     text PRIMARY KEY,
  risk_envelope json  NOT NULL,
  approver_role text NOT NULL,
  created_by    text,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Manifests are content-addressed: the id is derived from the evidence, so a row never changes.
CREATE TABLE IF NOT EXISTS guard_manifests (
  manifest_id  text PRIMARY KEY,
  source_ref   text NOT NULL,
  event_count  integer NOT NULL CHECK (event_count > 0),
  label_counts json  NOT NULL,
  reviewer_ids jsonb NOT NULL,
  event_refs   jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS guard_proposals (
  proposal_id   text PRIMARY KEY,
  proposal_type text NOT NULL CHECK (proposal_type IN ('calibration_update', 'lora_training_job')),
  policy_id     text NOT NULL REFERENCES guard_policies (policy_id),
  manifest_id   text NOT NULL REFERENCES guard_manifests (manifest_id),
  source_ref    text NOT NULL,
  request       json  NOT NULL,
  payload       json  NOT NULL,
  rollback_id   text NOT NULL CHECK (rollback_id <> ''),
  proposer      text NOT NULL,
  state         text NOT NULL CHECK (state IN ('gating', 'warned', 'awaiting_approval', 'approved', 'released', 'expired')),
  approval_deadline timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS guard_proposals_policy_idx ON guard_proposals (policy_id, created_at);

-- One GuardDecision per proposal, stored whole (guard_decision) and by its searchable parts.
CREATE TABLE IF NOT EXISTS guard_decisions (
  proposal_id    text PRIMARY KEY REFERENCES guard_proposals (proposal_id),
  decision       text NOT NULL CHECK (decision IN ('allow', 'warn', 'halt', 'block')),
  reason         text NOT NULL,
  risk_score     double precision NOT NULL CHECK (risk_score >= 0 AND risk_score <= 1),
  gates          json  NOT NULL,
  guard_decision json  NOT NULL,
  decided_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS guard_approvals (
  proposal_id text PRIMARY KEY REFERENCES guard_proposals (proposal_id),
  approval_id text NOT NULL UNIQUE CHECK (approval_id <> ''),
  approver    text NOT NULL REFERENCES principals (name),
  approver_role text NOT NULL,
  approved_at timestamptz NOT NULL DEFAULT now()
);

-- The released payload and the whole audit record (manifest, decision, approval, rollback id,
-- payload) kept together, as the seed asks; exported verbatim by `proposal bundle`.
CREATE TABLE IF NOT EXISTS guard_releases (
  proposal_id text PRIMARY KEY REFERENCES guard_proposals (proposal_id),
  payload     json  NOT NULL,
  bundle      json  NOT NULL,
  released_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS guard_safety_events (
  event_id    text PRIMARY KEY,
  proposal_id text NOT NULL REFERENCES guard_proposals (proposal_id),
  event       json  NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS guard_safety_events_proposal_idx ON guard_safety_events (proposal_id);
