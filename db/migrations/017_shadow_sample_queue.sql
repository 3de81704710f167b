-- A scoring batch must cost the same after a million scored samples as after ten, whatever the
-- planner's statistics say about the queue.
--
-- Measured (npm run bench -- shadow-throughput, per statement, fresh vs 1,000,000 scored samples):
-- the read of a batch's pending samples went from 2.3 to 35 ms on PostgreSQL. An ANALYZE taken
-- while the queue is empty (autovacuum's usual moment, or the bench's VACUUM ANALYZE after seeding)
-- records no pending row, so the planner expects one and took the smallest index that holds the
-- pending samples, migration 015's shadow_samples_pending_exchange_idx: it walked every pending
-- sample of every endorsement, joined each to its exchange and sorted them by seq, to keep 25. The
-- scoring UPDATE hash-joined the same walk. Both cost the backlog, not the batch.
--
-- The queue index holds only the pending samples, in the order a batch reads them, so the read is
-- an ordered range that stops after the batch; a scored sample leaves it. The scoring UPDATE bounds
-- its walk by the batch's seq range (db/endorsement/shadow-samples.ts). It is the only index whose
-- predicate a read of pending samples implies: the pending-by-exchange index goes (the check that
-- an exchange has no pending sample left is a probe of shadow_samples_exchange_idx, an exchange
-- having one sample per staged endorsement, written so that it implies no partial index), so no
-- index offers the planner a walk of every endorsement's queue that it would price at one row.
-- The old (endorsement_id, status, seq) index, which kept every scored sample, gives way to the
-- queue and to an index of the scored samples' divergence series (the dashboard's newest-first
-- chart), whose predicate the read of the first critical sample does not imply, so that read
-- keeps to shadow_samples_critical_idx rather than walking the scored samples.
--
-- Index entries written per sample: its INSERT on the live path 3 (was 4); scoring it 3 (as before).
CREATE INDEX IF NOT EXISTS shadow_samples_queue_idx ON shadow_samples (endorsement_id, seq) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS shadow_samples_series_idx ON shadow_samples (endorsement_id, seq)
  WHERE status = 'scored' AND divergence IS NOT NULL;
DROP INDEX IF EXISTS shadow_samples_pending_exchange_idx;
DROP INDEX IF EXISTS shadow_samples_pending_idx;
