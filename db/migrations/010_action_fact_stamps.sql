-- Change stamps for what an action check judges by, so a process can decide from a cached,
-- compiled ABP and still never record a verdict on stale facts: the statement that records a
-- batch of verdicts compares each verdict's stamps with these rows, in the same snapshot.
--   '*'      : bumped by any change to an ABP version, the current pointers, exports or aliases
--              (rare: builds, applies, re-issues, someone editing a row by hand);
--   <abp_id> : bumped by every statement that adds red or yellow drift signals for that ABP (the
--              count drift_threshold judges), once per statement, not per row.
-- A bump also sends NOTIFY warden_abp_facts (payload: the key) for caches that listen.
CREATE TABLE IF NOT EXISTS abp_fact_stamps (
  stamp_key text PRIMARY KEY,
  stamp     bigint NOT NULL DEFAULT 1
);
INSERT INTO abp_fact_stamps (stamp_key, stamp) VALUES ('*', 1) ON CONFLICT DO NOTHING;

CREATE OR REPLACE FUNCTION abp_fact_stamp_structure() RETURNS trigger AS $$
BEGIN
  UPDATE abp_fact_stamps SET stamp = stamp + 1 WHERE stamp_key = '*';
  PERFORM pg_notify('warden_abp_facts', '*');
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS abp_versions_fact_stamp ON abp_versions;
CREATE TRIGGER abp_versions_fact_stamp AFTER UPDATE OR DELETE ON abp_versions
  FOR EACH STATEMENT EXECUTE FUNCTION abp_fact_stamp_structure();
DROP TRIGGER IF EXISTS abp_current_fact_stamp ON abp_current;
CREATE TRIGGER abp_current_fact_stamp AFTER INSERT OR UPDATE OR DELETE ON abp_current
  FOR EACH STATEMENT EXECUTE FUNCTION abp_fact_stamp_structure();
DROP TRIGGER IF EXISTS abp_exports_fact_stamp ON abp_exports;
CREATE TRIGGER abp_exports_fact_stamp AFTER INSERT OR UPDATE OR DELETE ON abp_exports
  FOR EACH STATEMENT EXECUTE FUNCTION abp_fact_stamp_structure();
DROP TRIGGER IF EXISTS abp_id_aliases_fact_stamp ON abp_id_aliases;
CREATE TRIGGER abp_id_aliases_fact_stamp AFTER INSERT OR UPDATE OR DELETE ON abp_id_aliases
  FOR EACH STATEMENT EXECUTE FUNCTION abp_fact_stamp_structure();

-- A statement trigger with the inserted rows as a table: one stamp update per ABP per batch.
CREATE OR REPLACE FUNCTION abp_fact_stamp_drift() RETURNS trigger AS $$
DECLARE
  key text;
BEGIN
  FOR key IN SELECT DISTINCT abp_id FROM fact_stamp_new_rows WHERE severity IN ('red', 'yellow') ORDER BY 1 LOOP
    INSERT INTO abp_fact_stamps (stamp_key, stamp) VALUES (key, 2)
      ON CONFLICT (stamp_key) DO UPDATE SET stamp = abp_fact_stamps.stamp + 1;
    PERFORM pg_notify('warden_abp_facts', key);
  END LOOP;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS drift_signals_fact_stamp ON drift_signals;
CREATE TRIGGER drift_signals_fact_stamp AFTER INSERT ON drift_signals
  REFERENCING NEW TABLE AS fact_stamp_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION abp_fact_stamp_drift();
