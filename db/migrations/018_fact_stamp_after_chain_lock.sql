-- An ABP's change stamp is locked only after the provenance chain's append lock.
--
-- Migration 016 made an ABP's stamp row the one that both its fact changes (versions, pointer,
-- exports, aliases, degradations) and its red or yellow drift update. The intake flush takes the
-- chain's lock first and then stores drift (locking the stamp); a fact change updated its rows
-- first (locking the stamp) and appended its provenance entry after (taking the chain's lock).
-- Two such transactions on one ABP waited for each other until PostgreSQL aborted one as a
-- deadlock. Every writer that bumps a stamp appends provenance in the same transaction, so the
-- bump now takes the chain's lock itself (a no-op when the transaction holds it already): one
-- order for everyone, the chain lock and then the stamps (in id order, as before).
--
-- 7246202 is APPEND_LOCK (db/provenance/log.ts); the lock-order test fails if they part.
CREATE OR REPLACE FUNCTION abp_fact_stamp_bump(key text) RETURNS void AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7246202);
  INSERT INTO abp_fact_stamps (stamp_key, stamp) VALUES (key, 2)
    ON CONFLICT (stamp_key) DO UPDATE SET stamp = abp_fact_stamps.stamp + 1;
  PERFORM pg_notify('warden_abp_facts', key);
END;
$$ LANGUAGE plpgsql;
