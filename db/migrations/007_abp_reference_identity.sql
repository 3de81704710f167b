-- ABP ids and hashes now follow the reference tooling's canonical form. ABPs stored before are
-- re-issued at start-up (activities/delegation/abp-identity-migration.ts): a new version with
-- source 'migrate', the pointer and every abp_id reference moved to the new id in one
-- transaction, and the old id recorded here so that whoever still names it reaches the new one.
ALTER TABLE abp_versions DROP CONSTRAINT IF EXISTS abp_versions_source_check;
ALTER TABLE abp_versions ADD CONSTRAINT abp_versions_source_check
  CHECK (source IN ('build', 'seed', 'patch', 'replace', 'migrate'));

CREATE TABLE IF NOT EXISTS abp_id_aliases (
  old_id      text PRIMARY KEY CHECK (old_id ~ '^ABP-[a-f0-9]{8}$'),
  new_id      text NOT NULL CHECK (new_id ~ '^ABP-[a-f0-9]{8}$' AND new_id <> old_id),
  old_hash    text NOT NULL,
  new_hash    text NOT NULL REFERENCES abp_versions (abp_hash),
  migrated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS abp_id_aliases_new_idx ON abp_id_aliases (new_id);

-- Action checks, reviews and escalations may still name an old id (agents, people, workflows
-- started before the move): they are stored under the id it moved to, so the triggers and views
-- count them. A database rule rather than a convention in every writer. Evidence, which arrives
-- in bulk, is mapped once per batch by its writer instead (a row trigger there costs more than
-- the insert itself on PGlite).
CREATE OR REPLACE FUNCTION abp_id_follow_alias() RETURNS trigger AS $$
DECLARE
  target text;
BEGIN
  SELECT new_id INTO target FROM abp_id_aliases WHERE old_id = NEW.abp_id;
  IF FOUND THEN
    NEW.abp_id := target;
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS abp_action_checks_follow_alias ON abp_action_checks;
CREATE TRIGGER abp_action_checks_follow_alias BEFORE INSERT ON abp_action_checks
  FOR EACH ROW EXECUTE FUNCTION abp_id_follow_alias();
DROP TRIGGER IF EXISTS delegation_reviews_follow_alias ON delegation_reviews;
CREATE TRIGGER delegation_reviews_follow_alias BEFORE INSERT ON delegation_reviews
  FOR EACH ROW EXECUTE FUNCTION abp_id_follow_alias();
DROP TRIGGER IF EXISTS delegation_escalations_follow_alias ON delegation_escalations;
CREATE TRIGGER delegation_escalations_follow_alias BEFORE INSERT ON delegation_escalations
  FOR EACH ROW EXECUTE FUNCTION abp_id_follow_alias();
