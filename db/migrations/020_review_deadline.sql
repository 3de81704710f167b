-- A review's deadline, stored: when its timeout runs out, counted from its opening.
--
-- A review is stored without its workflow ("dormant") until its first vote or until its deadline
-- comes near, when a monitor pass starts it (db/delegation/reviews.ts listReviewsDue). The pass asks
-- for the open reviews without a workflow whose deadline falls before its horizon: an index on the
-- deadline answers that without reading every open review. A generated column cannot compute it
-- (timestamptz + interval is not immutable), so every statement that inserts a review or marks it
-- opened sets it (INSERT_REVIEWS, markOpened). A review without a timeout (policy timeout_ms null)
-- has none: it is never due, only a vote starts it.
ALTER TABLE delegation_reviews ADD COLUMN IF NOT EXISTS deadline_at timestamptz;

-- Reviews opened before this migration (their workflow may or may not have started).
UPDATE delegation_reviews
   SET deadline_at = opened_at + (policy->>'timeout_ms')::bigint * interval '1 millisecond'
 WHERE opened_at IS NOT NULL AND deadline_at IS NULL AND jsonb_typeof(policy->'timeout_ms') = 'number';

CREATE INDEX IF NOT EXISTS delegation_reviews_dormant_deadline_idx ON delegation_reviews (deadline_at)
  WHERE state = 'open' AND NOT workflow_started;
