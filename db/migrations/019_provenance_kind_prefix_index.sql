-- Listing provenance by kind asks for a prefix (db/provenance/log.ts listProvenance: kind LIKE 'x%').
-- Migration 001's (kind, seq) btree uses the default operator class, which serves LIKE prefixes only
-- under the C collation: on a server created with another locale (C.UTF-8, en_US.UTF-8) a listing
-- of a rare kind walked the whole log. text_pattern_ops serves them under any collation.
--
-- The index also leaves out the entry every action check appends ('action.checked'), most of the
-- log: a verdict no longer maintains it, and a listing whose kind prefix cannot match that kind says
-- so in its WHERE (which implies this predicate). Listing the checks' own entries walks the log from
-- its end, where they are dense.
DROP INDEX IF EXISTS provenance_log_kind_idx;
CREATE INDEX IF NOT EXISTS provenance_log_kind_prefix_idx ON provenance_log (kind text_pattern_ops, seq)
  WHERE kind <> 'action.checked';
