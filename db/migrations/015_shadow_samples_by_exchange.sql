-- What a scoring batch reads must cost the same after a million scored samples as after ten.
--
-- A batch asks, per exchange it scored, whether any sample of that exchange is still pending
-- (blankUnloggedExchanges). With no index led by exchange_id the planner answered it by walking
-- shadow_samples_pending_idx on its second column (status) across every endorsement's samples,
-- scored ones included. This partial index holds the pending samples only, so the question costs
-- what is pending, not what was ever scored.
CREATE INDEX IF NOT EXISTS shadow_samples_pending_exchange_idx ON shadow_samples (exchange_id)
  WHERE status = 'pending';
-- An exchange's outcomes are read by exchange (sampleOutcomes).
CREATE INDEX IF NOT EXISTS shadow_samples_exchange_idx ON shadow_samples (exchange_id);
-- The first critical sample (read once the totals count one) was found by walking the
-- endorsement's scored samples in order until one was critical.
CREATE INDEX IF NOT EXISTS shadow_samples_critical_idx ON shadow_samples (endorsement_id, seq)
  WHERE status = 'scored' AND critical;
