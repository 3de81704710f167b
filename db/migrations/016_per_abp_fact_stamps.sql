-- Change stamps per ABP: a change to ABP X stales only the verdicts (and cached compiled forms)
-- decided on X's facts. Migration 010 bumped one structural stamp ('*') for every ABP version,
-- pointer, export, alias or degradation change anywhere, so a build or apply of any ABP made every
-- process's cached ABPs look stale at once (each then fell back to a full read and recompiled).
--
-- From here on the stamp under an ABP's id (the key drift already used) is bumped by any change to
-- what its checks judge by: its versions, its current pointer, its exports, the aliases leading to
-- or from it, its agents' degradations, and (as before) red or yellow drift. A verdict's stamp is
-- still compared in the statement that records it, so no round trip is added to the hot path.
-- A parent's changes reach its children through needsFullRead (a composed ABP is read per check).

-- One ABP's stamp moves (and caches that listen hear of it): the drift trigger and the row trigger below.
CREATE OR REPLACE FUNCTION abp_fact_stamp_bump(key text) RETURNS void AS $$
BEGIN
  INSERT INTO abp_fact_stamps (stamp_key, stamp) VALUES (key, 2)
    ON CONFLICT (stamp_key) DO UPDATE SET stamp = abp_fact_stamps.stamp + 1;
  PERFORM pg_notify('warden_abp_facts', key);
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION abp_fact_stamp_drift() RETURNS trigger AS $$
BEGIN
  PERFORM abp_fact_stamp_bump(abp_id)
     FROM (SELECT DISTINCT abp_id FROM fact_stamp_new_rows WHERE severity IN ('red', 'yellow') ORDER BY 1) AS k;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

-- Bumps the stamp of every ABP id named by the row before and after the change, in the columns
-- the trigger names (TG_ARGV), once per id, in id order (as the drift trigger locks them).
CREATE OR REPLACE FUNCTION abp_fact_stamp_row() RETURNS trigger AS $$
DECLARE
  ids text[] := '{}';
  col text;
BEGIN
  FOREACH col IN ARRAY TG_ARGV LOOP
    IF TG_OP <> 'INSERT' THEN ids := ids || (to_jsonb(OLD) ->> col); END IF;
    IF TG_OP <> 'DELETE' THEN ids := ids || (to_jsonb(NEW) ->> col); END IF;
  END LOOP;
  PERFORM abp_fact_stamp_bump(k) FROM (SELECT DISTINCT k FROM unnest(ids) AS k WHERE k IS NOT NULL ORDER BY 1) AS ordered;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS abp_versions_fact_stamp ON abp_versions;
CREATE TRIGGER abp_versions_fact_stamp AFTER UPDATE OR DELETE ON abp_versions
  FOR EACH ROW EXECUTE FUNCTION abp_fact_stamp_row('abp_id');
DROP TRIGGER IF EXISTS abp_current_fact_stamp ON abp_current;
CREATE TRIGGER abp_current_fact_stamp AFTER INSERT OR UPDATE OR DELETE ON abp_current
  FOR EACH ROW EXECUTE FUNCTION abp_fact_stamp_row('abp_id');
DROP TRIGGER IF EXISTS abp_exports_fact_stamp ON abp_exports;
CREATE TRIGGER abp_exports_fact_stamp AFTER INSERT OR UPDATE OR DELETE ON abp_exports
  FOR EACH ROW EXECUTE FUNCTION abp_fact_stamp_row('abp_id');
DROP TRIGGER IF EXISTS abp_id_aliases_fact_stamp ON abp_id_aliases;
CREATE TRIGGER abp_id_aliases_fact_stamp AFTER INSERT OR UPDATE OR DELETE ON abp_id_aliases
  FOR EACH ROW EXECUTE FUNCTION abp_fact_stamp_row('old_id', 'new_id');
DROP TRIGGER IF EXISTS abp_agent_degradations_fact_stamp ON abp_agent_degradations;
CREATE TRIGGER abp_agent_degradations_fact_stamp AFTER INSERT OR UPDATE OR DELETE ON abp_agent_degradations
  FOR EACH ROW EXECUTE FUNCTION abp_fact_stamp_row('abp_id');

DROP FUNCTION IF EXISTS abp_fact_stamp_structure();
DELETE FROM abp_fact_stamps WHERE stamp_key = '*';
