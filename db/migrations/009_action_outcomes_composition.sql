-- Issue 17: outcomes of allowed actions judged by the ABP's post_action validators, the agents a
-- failing degrade validator holds back until an operator clears them, and composition (a parent
-- ABP version listing its children, children stamped with their parent).

-- One outcome per checked action (the primary key refuses a second report). A blocked verdict on
-- an irreversible action counts toward DRT-002 through the partial index, like a blocked check.
CREATE TABLE IF NOT EXISTS abp_action_outcomes (
  check_id     text PRIMARY KEY REFERENCES abp_action_checks (check_id),
  abp_id       text NOT NULL,
  agent_id     text,
  outcome      jsonb NOT NULL,
  irreversible boolean NOT NULL,
  decision     text NOT NULL CHECK (decision IN ('allowed', 'warned', 'escalated', 'degraded', 'blocked')),
  results      jsonb NOT NULL,
  escalations  jsonb NOT NULL,
  reported_by  text,
  reported_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS abp_action_outcomes_blocked_idx ON abp_action_outcomes (abp_id, reported_at)
  WHERE irreversible AND decision = 'blocked';

-- An agent held back under an ABP by a failing degrade validator: its checks are blocked while a
-- row without cleared_at exists. agent_key is the check's agent_id, '' when the action named none.
CREATE TABLE IF NOT EXISTS abp_agent_degradations (
  abp_id      text NOT NULL,
  agent_key   text NOT NULL,
  check_id    text NOT NULL REFERENCES abp_action_checks (check_id),
  reason      text NOT NULL,
  degraded_at timestamptz NOT NULL DEFAULT now(),
  cleared_at  timestamptz,
  cleared_by  text,
  clear_reason text,
  PRIMARY KEY (abp_id, agent_key, check_id)
);
CREATE INDEX IF NOT EXISTS abp_agent_degradations_active_idx ON abp_agent_degradations (abp_id, agent_key)
  WHERE cleared_at IS NULL;

-- Post-action escalations are recorded like the others, under their own source.
ALTER TABLE delegation_escalations DROP CONSTRAINT IF EXISTS delegation_escalations_source_check;
ALTER TABLE delegation_escalations ADD CONSTRAINT delegation_escalations_source_check
  CHECK (source IN ('validator', 'review_timeout', 'post_action'));

-- A parent's revocation or replacement opens a review on each child under the trigger parent_changed.
ALTER TABLE delegation_reviews DROP CONSTRAINT IF EXISTS delegation_reviews_trigger_id_check;
ALTER TABLE delegation_reviews ADD CONSTRAINT delegation_reviews_trigger_id_check
  CHECK (trigger_id ~ '^DRT-[0-9]{3}$' OR trigger_id = 'parent_changed');

-- Versions stored by `abp compose` (the parent listing its children, each child stamped).
ALTER TABLE abp_versions DROP CONSTRAINT IF EXISTS abp_versions_source_check;
ALTER TABLE abp_versions ADD CONSTRAINT abp_versions_source_check
  CHECK (source IN ('build', 'seed', 'patch', 'replace', 'migrate', 'compose'));
