-- ABP export documents in PostgreSQL (WARDEN_EXPORT_SINK=postgres, the default): the text an export
-- file held, per export its current document and any staged one (slot 'staged:<tag>'), so that no
-- replica keeps exports on its own disk. Exports written as files before are imported at start-up
-- (worker/export-file-import.ts): SQL cannot read them.
CREATE TABLE IF NOT EXISTS abp_export_documents (
  export_id  text NOT NULL REFERENCES abp_exports (export_id),
  slot       text NOT NULL CHECK (slot = 'current' OR slot LIKE 'staged:_%'),
  body       text NOT NULL,
  written_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (export_id, slot)
);

-- The provenance key the chain is signed with, by fingerprint (an HMAC of a fixed label, never the
-- key): a process started with another key refuses to start instead of signing entries that no
-- longer verify. One row per key, from the entry it signs first; today a chain has one key.
CREATE TABLE IF NOT EXISTS provenance_signing_keys (
  fingerprint   char(64) PRIMARY KEY,
  first_seq     bigint NOT NULL UNIQUE CHECK (first_seq >= 1),
  registered_at timestamptz NOT NULL DEFAULT now()
);
