-- Provenance: an append-only hash chain. prev_hash is UNIQUE so two appends can never fork the
-- chain even if the advisory lock were bypassed.
CREATE TABLE IF NOT EXISTS provenance_log (
  seq          bigint PRIMARY KEY CHECK (seq >= 1),
  recorded_at  timestamptz NOT NULL,
  kind         text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.]*$'),
  subject      text NOT NULL,
  actor        text,
  payload      jsonb NOT NULL,
  prev_hash    char(64) NOT NULL UNIQUE,
  content_hash char(64) NOT NULL,
  signature    char(64) NOT NULL,
  -- Set by activities so that a retried append returns the first entry instead of adding another.
  idem_key     text UNIQUE
);
CREATE INDEX IF NOT EXISTS provenance_log_subject_idx ON provenance_log (subject, seq);
CREATE INDEX IF NOT EXISTS provenance_log_kind_idx ON provenance_log (kind, seq);

-- Entries are never changed or removed; the trigger makes that a database rule, not a convention.
CREATE OR REPLACE FUNCTION provenance_log_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'provenance_log is append-only';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS provenance_log_no_update ON provenance_log;
CREATE TRIGGER provenance_log_no_update BEFORE UPDATE OR DELETE ON provenance_log
  FOR EACH ROW EXECUTE FUNCTION provenance_log_append_only();

CREATE TABLE IF NOT EXISTS principals (
  name       text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9._@-]{0,63}$'),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS principal_roles (
  principal  text NOT NULL REFERENCES principals (name) ON DELETE CASCADE,
  role       text NOT NULL CHECK (role ~ '^[A-Za-z][A-Za-z0-9_.-]{0,63}$'),
  granted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (principal, role)
);

-- Key/value facts about this installation (e.g. which demo data was seeded).
CREATE TABLE IF NOT EXISTS warden_meta (
  key   text PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
