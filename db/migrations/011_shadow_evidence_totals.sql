-- Running totals of each endorsement's shadow evidence, so reading the evidence after a scoring
-- batch costs the same after a million samples as after ten (it re-aggregated every sample).
-- Kept by a statement trigger on the UPDATE that scores a batch (pending → scored or failed), one
-- upsert per endorsement per statement; samples are inserted pending and not counted here (the
-- pending ones are counted through their index), so the live path's INSERT pays nothing. A change
-- to a sample already scored or failed, or a deletion, re-aggregates that endorsement instead.
CREATE TABLE IF NOT EXISTS shadow_evidence_totals (
  endorsement_id text PRIMARY KEY,
  scored         bigint NOT NULL DEFAULT 0,
  divergence_sum double precision NOT NULL DEFAULT 0,
  divergence_max double precision,
  critical       bigint NOT NULL DEFAULT 0,
  failed         bigint NOT NULL DEFAULT 0,
  drift_sum      double precision NOT NULL DEFAULT 0,
  drift_count    bigint NOT NULL DEFAULT 0
);

CREATE OR REPLACE FUNCTION shadow_evidence_recount(ids text[]) RETURNS void AS $$
BEGIN
  DELETE FROM shadow_evidence_totals WHERE endorsement_id = ANY(ids);
  INSERT INTO shadow_evidence_totals (endorsement_id, scored, divergence_sum, divergence_max, critical, failed, drift_sum, drift_count)
  SELECT endorsement_id,
         count(*) FILTER (WHERE status = 'scored'),
         coalesce(sum(divergence) FILTER (WHERE status = 'scored'), 0),
         max(divergence) FILTER (WHERE status = 'scored'),
         count(*) FILTER (WHERE status = 'scored' AND critical),
         count(*) FILTER (WHERE status = 'failed'),
         coalesce(sum(drift) FILTER (WHERE status = 'scored'), 0),
         count(drift) FILTER (WHERE status = 'scored')
    FROM shadow_samples WHERE endorsement_id = ANY(ids) GROUP BY endorsement_id;
END;
$$ LANGUAGE plpgsql;

SELECT shadow_evidence_recount(array_agg(DISTINCT endorsement_id)) FROM shadow_samples
 WHERE NOT EXISTS (SELECT 1 FROM shadow_evidence_totals);

CREATE OR REPLACE FUNCTION shadow_evidence_on_update() RETURNS trigger AS $$
DECLARE
  recount text[];
BEGIN
  SELECT array_agg(DISTINCT endorsement_id) INTO recount FROM shadow_old_rows WHERE status <> 'pending';
  IF recount IS NOT NULL THEN
    PERFORM shadow_evidence_recount(recount);
  END IF;
  INSERT INTO shadow_evidence_totals AS t (endorsement_id, scored, divergence_sum, divergence_max, critical, failed, drift_sum, drift_count)
  SELECT n.endorsement_id,
         count(*) FILTER (WHERE n.status = 'scored'),
         coalesce(sum(n.divergence) FILTER (WHERE n.status = 'scored'), 0),
         max(n.divergence) FILTER (WHERE n.status = 'scored'),
         count(*) FILTER (WHERE n.status = 'scored' AND n.critical),
         count(*) FILTER (WHERE n.status = 'failed'),
         coalesce(sum(n.drift) FILTER (WHERE n.status = 'scored'), 0),
         count(n.drift) FILTER (WHERE n.status = 'scored')
    FROM shadow_new_rows n
    JOIN shadow_old_rows o ON o.endorsement_id = n.endorsement_id AND o.exchange_id = n.exchange_id AND o.status = 'pending'
   WHERE recount IS NULL OR NOT (n.endorsement_id = ANY(recount))
   GROUP BY n.endorsement_id
  ON CONFLICT (endorsement_id) DO UPDATE SET
    scored = t.scored + excluded.scored,
    divergence_sum = t.divergence_sum + excluded.divergence_sum,
    divergence_max = greatest(t.divergence_max, excluded.divergence_max),
    critical = t.critical + excluded.critical,
    failed = t.failed + excluded.failed,
    drift_sum = t.drift_sum + excluded.drift_sum,
    drift_count = t.drift_count + excluded.drift_count;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS shadow_samples_evidence_totals ON shadow_samples;
CREATE TRIGGER shadow_samples_evidence_totals AFTER UPDATE ON shadow_samples
  REFERENCING OLD TABLE AS shadow_old_rows NEW TABLE AS shadow_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION shadow_evidence_on_update();

CREATE OR REPLACE FUNCTION shadow_evidence_on_delete() RETURNS trigger AS $$
BEGIN
  PERFORM shadow_evidence_recount(array_agg(DISTINCT endorsement_id)) FROM shadow_old_rows;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS shadow_samples_evidence_recount ON shadow_samples;
CREATE TRIGGER shadow_samples_evidence_recount AFTER DELETE ON shadow_samples
  REFERENCING OLD TABLE AS shadow_old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION shadow_evidence_on_delete();
