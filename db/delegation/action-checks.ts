import type pg from 'pg';
import { TOKEN_REFUSAL_SQL } from '../access/api-tokens';
import type { PipelinedConnection } from '../pipelined-connection';
import type { Queryable } from '../pool';
import {
  PROVENANCE_HEAD_COLUMNS,
  provenanceHeadOf,
  type ProvenanceEntry,
  type ProvenanceHead,
} from '../provenance/log';
import { AT_HEAD_OK, jsonbLiteral, preparedWriteAtHead } from '../provenance/write-at-head';
import type { Action } from '../../domain/delegation/action';
import type { FactStamps } from './action-facts';
import type { ActionVerdict } from '../../domain/delegation/validators';

/**
 * Records a checked action and its verdict; false when a check with this id is already recorded
 * (the same action_id checked again), so its escalations and provenance are not recorded twice.
 */
export async function insertActionCheck(
  q: Queryable,
  check: {
    checkId: string;
    abpId: string;
    abpHash: string | null;
    action: Action;
    verdict: ActionVerdict;
    checkedAt: Date;
  },
): Promise<boolean> {
  const { action, verdict } = check;
  const inserted = await q.query(
    `INSERT INTO abp_action_checks (check_id, abp_id, abp_hash, agent_id, action, irreversible, decision, results, escalations, checked_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (check_id) DO NOTHING`,
    [
      check.checkId,
      check.abpId,
      check.abpHash,
      action.agent_id ?? null,
      JSON.stringify(action),
      action.irreversible,
      verdict.decision,
      JSON.stringify(verdict.results),
      JSON.stringify(verdict.escalations),
      check.checkedAt,
    ],
  );
  return inserted.rowCount === 1;
}

/** A verdict decided from facts read under `stamps` (db/delegation/action-facts.ts). */
export interface StampedCheck {
  checkId: string;
  abpId: string;
  abpHash: string | null;
  action: Action;
  verdict: ActionVerdict;
  checkedAt: Date;
  stamps: FactStamps;
  /** The API token the caller was authenticated with from a cache: recorded only while it still holds. */
  tokenId: string | null;
}

/** 'refused': the caller's token no longer holds (revoked, expired): nothing recorded. */
export type StampedOutcome = 'inserted' | 'duplicate' | 'stale' | 'refused';

/**
 * Records a batch of verdicts in one statement, each only if the facts it was decided on are
 * still the stored ones (its ABP's change stamp, migrations 010 and 016, is the one it was
 * decided under, read in the statement's own snapshot); no extra round trip for the check. In a transaction that holds the provenance lock it
 * also reads the chain's head, so the batch's entries need no read of their own. 'stale' verdicts are not recorded: the caller
 * decides them again from fresh facts. A verdict whose caller was authenticated from a cached
 * token is recorded only if that token still holds in the same snapshot ('refused' otherwise), so
 * a revoked token is refused from the first statement that commits after its revocation. Check
 * ids must be distinct within the batch.
 */
export async function insertStampedChecks(
  q: Queryable,
  checks: StampedCheck[],
): Promise<{ outcomes: StampedOutcome[]; provenanceHead: ProvenanceHead | null }> {
  if (checks.length === 0) return { outcomes: [], provenanceHead: null };
  const col = <T>(f: (c: StampedCheck) => T) => checks.map(f);
  const { rows } = await q.query<{
    check_id: string;
    fresh: boolean;
    inserted: boolean;
    refused: boolean;
    head_seq: number | null;
    head_hash: string | null;
  }>(
    `WITH input AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::boolean[], $7::text[],
                            $8::jsonb[], $9::jsonb[], $10::timestamptz[], $11::text[], $12::bigint[], $13::text[])
         AS u(check_id, abp_id, abp_hash, agent_id, action, irreversible, decision, results, escalations, checked_at,
              stamp_key, stamp, token_id)
     ), refused AS (
       SELECT i.check_id FROM input i LEFT JOIN api_tokens t ON t.id = i.token_id
        WHERE i.token_id IS NOT NULL AND ${TOKEN_REFUSAL_SQL('t')} IS NOT NULL
     ), fresh AS (
       SELECT i.* FROM input i
        WHERE i.check_id NOT IN (SELECT check_id FROM refused)
          AND i.stamp = coalesce((SELECT s.stamp FROM abp_fact_stamps s WHERE s.stamp_key = i.stamp_key), 1)
     ), inserted AS (
       INSERT INTO abp_action_checks (check_id, abp_id, abp_hash, agent_id, action, irreversible, decision, results, escalations, checked_at)
       SELECT check_id, abp_id, abp_hash, agent_id, action, irreversible, decision, results, escalations, checked_at FROM fresh
       ON CONFLICT (check_id) DO NOTHING
       RETURNING check_id
     )
     SELECT i.check_id, f.check_id IS NOT NULL AS fresh, n.check_id IS NOT NULL AS inserted,
            i.check_id IN (SELECT check_id FROM refused) AS refused, ${PROVENANCE_HEAD_COLUMNS}
       FROM input i LEFT JOIN fresh f ON f.check_id = i.check_id LEFT JOIN inserted n ON n.check_id = i.check_id`,
    [
      col((c) => c.checkId),
      col((c) => c.abpId),
      col((c) => c.abpHash),
      col((c) => c.action.agent_id ?? null),
      col((c) => JSON.stringify(c.action)),
      col((c) => c.action.irreversible),
      col((c) => c.verdict.decision),
      col((c) => JSON.stringify(c.verdict.results)),
      col((c) => JSON.stringify(c.verdict.escalations)),
      col((c) => c.checkedAt),
      col((c) => c.stamps.key),
      col((c) => c.stamps.stamp),
      col((c) => c.tokenId),
    ],
  );
  const byId = new Map(rows.map((r) => [r.check_id, r]));
  const outcomes = checks.map((c): StampedOutcome => {
    const r = byId.get(c.checkId);
    if (r?.refused) return 'refused';
    return !r?.fresh ? 'stale' : r.inserted ? 'inserted' : 'duplicate';
  });
  return { outcomes, provenanceHead: rows[0] ? provenanceHeadOf(rows[0]) : null };
}

/**
 * The group commit's flush in one round trip and one transaction: `checks` (distinct check ids,
 * none escalating) and their provenance `entries`, signed after `head`, are recorded together
 * only if every check would be recorded ('inserted' by insertStampedChecks: its stamps fresh,
 * its token holding, its id new) and `head` is still the chain's head; otherwise nothing is
 * written and the caller flushes the batch the long way (false). One simple-protocol message of
 * two statements, which PostgreSQL runs as one implicit transaction: the provenance lock first,
 * then the write in a snapshot taken after it, so other appenders (which take the lock before
 * reading the head) see it. The write is a statement prepared once per session (EXECUTE of
 * preparedWriteAtHead's): a simple-protocol message takes no parameters, so the batch travels as
 * one escaped jsonb literal argument, but the statement is not parsed and planned per flush.
 * On a PipelinedConnection the message is sent at once, behind any flush not yet answered, which
 * the database runs first: a flush may then be signed after the head the one ahead will leave.
 */
export async function recordChecksAtHead(
  on: pg.Pool | PipelinedConnection,
  checks: StampedCheck[],
  entries: ProvenanceEntry[],
  head: ProvenanceHead,
): Promise<boolean> {
  if (checks.length === 0) return true;
  const input = jsonbLiteral(
    checks.map((c) => ({
      check_id: c.checkId,
      abp_id: c.abpId,
      abp_hash: c.abpHash,
      agent_id: c.action.agent_id ?? null,
      action: c.action,
      irreversible: c.action.irreversible,
      decision: c.verdict.decision,
      results: c.verdict.results,
      escalations: c.verdict.escalations,
      checked_at: c.checkedAt.toISOString(),
      stamp_key: c.stamps.key,
      stamp: c.stamps.stamp,
      token_id: c.tokenId,
    })),
  );
  const written = await recordAtHead(on, [input, `${checks.length}`], entries, head);
  if (!written) return false;
  // Both inserts ran on the same verdict; a mismatch would be a bug in the statement, not a race.
  if (written.inserted !== checks.length)
    throw new Error(
      `recorded ${written.inserted} checks and ${written.entries} provenance entries for ${checks.length}`,
    );
  return true;
}

/** recordChecksAtHead's statement, prepared once per session: $1 the checks (jsonb), $2 how many. */
const recordAtHead = preparedWriteAtHead('warden_record_checks', {
  parameterTypes: ['jsonb', 'integer'],
  inputs: `input AS (
       SELECT * FROM jsonb_to_recordset($1)
         AS u(check_id text, abp_id text, abp_hash text, agent_id text, action jsonb, irreversible boolean, decision text,
              results jsonb, escalations jsonb, checked_at timestamptz, stamp_key text, stamp bigint,
              token_id text)
     ), recordable AS (
       SELECT i.* FROM input i LEFT JOIN api_tokens t ON t.id = i.token_id
        WHERE (i.token_id IS NULL OR ${TOKEN_REFUSAL_SQL('t')} IS NULL)
          AND i.stamp = coalesce((SELECT s.stamp FROM abp_fact_stamps s WHERE s.stamp_key = i.stamp_key), 1)
          AND NOT EXISTS (SELECT 1 FROM abp_action_checks c WHERE c.check_id = i.check_id)
     )`,
  ready: `(SELECT count(*) FROM recordable) = $2`,
  writes: {
    inserted: `INSERT INTO abp_action_checks (check_id, abp_id, abp_hash, agent_id, action, irreversible, decision, results, escalations, checked_at)
       SELECT check_id, abp_id, abp_hash, agent_id, action, irreversible, decision, results, escalations, checked_at
         FROM recordable WHERE ${AT_HEAD_OK}
       RETURNING check_id`,
  },
});
