import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runPeriodicValidators } from '../../../activities/delegation/periodic-validators';
import { findCurrentByAbpId } from '../../../db/delegation/abps';
import { AbpSchema } from '../../../domain/delegation/schema';
import { firedEscalations } from '../../../db/delegation/escalations';
import { storeIntakeBatch } from '../../../db/delegation/intake';
import { readTriggerCardsOf } from '../../../db/delegation/trigger-cards';
import { measureTriggerSql } from '../../../db/delegation/trigger-measures';
import {
  DELEGATION_MONITOR_SCHEDULE,
  checkAbpAction,
  ensureDelegationMonitorSchedule,
  ingestEvidence,
  runDelegationEvaluation,
  showAbp,
  triggerCards,
} from '../../../client/delegation';
import { seedDelegationDemo } from '../../../demo/delegation';
import { approveReview, dismissReview, openReview, reviews } from '../../../client/delegation-reviews';
import { demoAbp } from '../../../demo/delegation-abp';
import { parseIntakeBatch } from '../../../domain/delegation/intake';
import { parseTriggerCondition } from '../../../domain/delegation/trigger-conditions';
import { DAY_MS } from '../../../domain/delegation/trigger-evidence';
import { useIntegrationContext } from '../../support/integration';
import { DUE_HORIZON_MS } from '../../../domain/delegation/review-due';
import { buildUniqueAbp, principal, sendExternalEmail, unique } from './fixtures';

const ctx = useIntegrationContext('delegation-triggers');

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const signal = (abpId: string, key: string, at = Date.now() - HOUR) =>
  JSON.stringify({
    kind: 'drift_signal',
    abp_id: abpId,
    type: 'fallback',
    severity: 'yellow',
    fingerprint: { key, version: 1 },
    observed_at: iso(at),
    signal_id: unique('s'),
  });
const claim = (abpId: string, expiresAt: number) =>
  JSON.stringify({ kind: 'claim', claim_id: unique('c'), abp_id: abpId, expires_at: iso(expiresAt) });
const run = (abpId: string, score: number, at: number) =>
  JSON.stringify({ kind: 'coherence_run', abp_id: abpId, score, observed_at: iso(at) });
const card = async (abpId: string, triggerId: string) =>
  (await triggerCards(ctx, abpId)).find((c) => c.triggerId === triggerId)!;

describe('trigger evaluation after intake', () => {
  it('DRT-001 opens a review at 3 repeats of one fingerprint, and never a second one', async () => {
    const abp = await buildUniqueAbp(ctx);
    const first = await ingestEvidence(
      ctx,
      [signal(abp.abp_id, 'fp-x'), signal(abp.abp_id, 'fp-x'), signal(abp.abp_id, 'fp-y')].join('\n'),
      { waitForEvaluation: true },
    );
    expect(first.driftSignals).toEqual({ received: 3, stored: 3 });
    expect(first.evaluation!.opened).toEqual([]);
    expect(await card(abp.abp_id, 'DRT-001')).toMatchObject({ state: 'armed', current: 2, threshold: 3, progress: 67 });

    const second = await ingestEvidence(ctx, signal(abp.abp_id, 'fp-x'), { waitForEvaluation: true });
    expect(second.evaluation!.opened).toEqual([`${abp.abp_id}.DRT-001.r1`]);
    // Stored without its workflow: its deadline is days away (a vote or a pass near it starts it).
    expect(second.evaluation!.started).toEqual([]);
    expect(await reviews(ctx, { abpId: abp.abp_id })).toMatchObject([{ workflowStarted: false }]);
    const third = await ingestEvidence(ctx, [signal(abp.abp_id, 'fp-x'), signal(abp.abp_id, 'fp-x')].join('\n'), {
      waitForEvaluation: true,
    });
    expect(third.evaluation).toMatchObject({ opened: [], started: [] });
    expect(await reviews(ctx, { abpId: abp.abp_id })).toMatchObject([
      { triggerId: 'DRT-001', state: 'open', severity: 'warn' },
    ]);
    expect(await card(abp.abp_id, 'DRT-001')).toMatchObject({
      state: 'tripped',
      current: 5,
      activeReview: { state: 'open' },
    });
  });

  it('concurrent evaluations of the same tripped trigger open exactly one review', async () => {
    const abp = await buildUniqueAbp(ctx);
    const batch = parseIntakeBatch([1, 2, 3].map((n) => run(abp.abp_id, 40, Date.now() - n * HOUR)).join('\n'));
    await storeIntakeBatch(ctx, batch, null);
    const results = await Promise.all([1, 2, 3].map(() => runDelegationEvaluation(ctx, [abp.abp_id])));
    expect([...new Set(results.flatMap((r) => r.opened))], JSON.stringify(results)).toEqual([
      `${abp.abp_id}.DRT-003.r1`,
    ]);
    // None starts its workflow: its deadline is days away.
    expect(
      results.flatMap((r) => r.started),
      JSON.stringify(results),
    ).toEqual([]);
    expect(await reviews(ctx, { abpId: abp.abp_id })).toHaveLength(1);
  });

  it('DRT-004 (auto_open false) queues; a person opens it; a dismissal stops it re-tripping on the same evidence', async () => {
    const rev = await principal(ctx, 'rev', ['Reviewer']);
    const abp = await buildUniqueAbp(ctx);
    const expired = [1, 2, 3, 4, 5].map((n) => claim(abp.abp_id, Date.now() - n * DAY_MS));
    const notYet = claim(abp.abp_id, Date.now() + DAY_MS);
    const result = await ingestEvidence(ctx, [...expired, notYet].join('\n'), { waitForEvaluation: true });
    const reviewId = `${abp.abp_id}.DRT-004.r1`;
    expect(result.evaluation).toMatchObject({ opened: [], queued: [reviewId], started: [] });
    expect(await reviews(ctx, { abpId: abp.abp_id, state: 'queued' })).toMatchObject([
      { reviewId, workflowStarted: false, severity: 'warn' },
    ]);
    await expect(
      approveReview(ctx, reviewId, {
        principal: rev,
        outputKind: 'abp_revoke',
        document: { reason: 'x' },
        reason: 'x',
      }),
    ).rejects.toThrow(/queued: open it first/);
    expect((await runDelegationEvaluation(ctx, [abp.abp_id])).queued).toEqual([]);

    const opened = await openReview(ctx, abp.abp_id, 'DRT-004', rev);
    expect(opened).toMatchObject({ reviewId, state: 'open', openedBy: rev, workflowStarted: false });
    await expect(openReview(ctx, abp.abp_id, 'DRT-004', rev)).rejects.toThrow(/already open/);
    await dismissReview(ctx, reviewId, { principal: rev, reason: 'claims renewed elsewhere' });
    await ctx.temporal.workflow.getHandle(reviewId).result();
    expect(await card(abp.abp_id, 'DRT-004')).toMatchObject({ state: 'clear', current: 0, activeReview: null });
    expect((await runDelegationEvaluation(ctx, [abp.abp_id])).queued).toEqual([]);
  });

  it('refuses a batch with a bad row and writes nothing', async () => {
    const abp = await buildUniqueAbp(ctx);
    const bad = [
      signal(abp.abp_id, 'fp'),
      JSON.stringify({ kind: 'coherence_run', abp_id: abp.abp_id, score: 140, observed_at: iso(Date.now()) }),
      claim(abp.abp_id, Date.now()),
    ];
    await expect(ingestEvidence(ctx, bad.join('\n'))).rejects.toThrow(
      /line 2: score:.*nothing written|nothing written.*line 2: score:/,
    );
    const { rows } = await ctx.pool.query(
      `SELECT (SELECT count(*) FROM drift_signals WHERE abp_id = $1)::int + (SELECT count(*) FROM claims WHERE abp_id = $1)::int AS n`,
      [abp.abp_id],
    );
    expect(rows[0].n).toBe(0);
  });
});

describe('periodic validators on the monitor pass', () => {
  it('drift_threshold escalates once a day when red/yellow drift exceeds max_ds, and checked actions are escalated', async () => {
    const abp = await buildUniqueAbp(ctx);
    const seven = Array.from({ length: 7 }, (_, n) => signal(abp.abp_id, `fp-${n}`)).join('\n');
    const first = await ingestEvidence(ctx, seven, { waitForEvaluation: true });
    expect(first.evaluation).toMatchObject({ periodic: [`${abp.abp_id}/drift_threshold: escalate`], opened: [] });
    await runDelegationEvaluation(ctx, [abp.abp_id]);
    const { rows } = await ctx.pool.query(
      `SELECT source, trigger_name, destination FROM delegation_escalations WHERE abp_id = $1`,
      [abp.abp_id],
    );
    expect(rows).toEqual([{ source: 'validator', trigger_name: 'drift_threshold', destination: 'governance-board' }]);
    const check = await checkAbpAction(ctx, abp.abp_id, { ...sendExternalEmail(abp.hash, 1), tool: 'ats.read' });
    expect(check).toMatchObject({
      decision: 'escalated',
      allowed: true,
      escalations: [{ validator: 'drift_threshold', destination: 'governance-board' }],
    });
    const after = await ctx.pool.query(`SELECT count(*)::int AS n FROM delegation_escalations WHERE abp_id = $1`, [
      abp.abp_id,
    ]);
    expect(after.rows[0].n).toBe(2);
  });
});

describe('periodic validators without the chain lock', () => {
  /** ctx.pool seen through a recorder: the statements sent on the pool and the clients taken from it (transactions). */
  const recordingPool = () => {
    const statements: string[] = [];
    let connections = 0;
    const pool = {
      query: (text: string, values?: unknown[]) => {
        statements.push(text);
        return ctx.pool.query(text, values);
      },
      connect: () => {
        connections++;
        return ctx.pool.connect();
      },
    } as unknown as pg.Pool;
    return { pool, statements, connections: () => connections };
  };

  it('a pass whose validators fire nothing reads its facts without a transaction or the chain lock', async () => {
    const abp = await buildUniqueAbp(ctx);
    const current = (await findCurrentByAbpId(ctx.pool, abp.abp_id))!;
    const seen = recordingPool();
    const verdict = await runPeriodicValidators(
      { pool: seen.pool, provenanceKey: ctx.provenanceKey },
      current,
      AbpSchema.parse(current.document),
    );
    expect(firedEscalations(verdict)).toEqual([]);
    expect(seen.statements.length).toBeGreaterThan(0);
    expect(seen.connections()).toBe(0);
    expect(seen.statements.join('\n')).not.toMatch(/advisory|BEGIN/i);
  });

  it('a pass that fires records its escalation under the lock, and a second pass the same day records nothing more', async () => {
    const abp = await buildUniqueAbp(ctx);
    const seven = Array.from({ length: 7 }, (_, n) => signal(abp.abp_id, `fp-${n}`)).join('\n');
    await storeIntakeBatch(ctx, parseIntakeBatch(seven), null);
    const current = (await findCurrentByAbpId(ctx.pool, abp.abp_id))!;
    const pass = async () => {
      const seen = recordingPool();
      const verdict = await runPeriodicValidators(
        { pool: seen.pool, provenanceKey: ctx.provenanceKey },
        current,
        AbpSchema.parse(current.document),
      );
      return { fired: firedEscalations(verdict).map((f) => f.trigger), transactions: seen.connections() };
    };
    expect(await pass()).toEqual({ fired: ['drift_threshold'], transactions: 1 });
    expect(await pass()).toEqual({ fired: ['drift_threshold'], transactions: 1 });
    const { rows } = await ctx.pool.query(
      `SELECT e.trigger_name, (SELECT count(*)::int FROM provenance_log p
                                WHERE p.kind = 'abp.escalated' AND p.subject = $2) AS entries
         FROM delegation_escalations e WHERE e.abp_id = $1`,
      [abp.abp_id, `abp:${abp.abp_id}`],
    );
    expect(rows).toEqual([{ trigger_name: 'drift_threshold', entries: 1 }]);
  });
});

describe('the SQL evaluators at their boundaries and window edges', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const at = (days: number, ms = 0) => now.getTime() - days * DAY_MS - ms;
  // Each count twice: alone (measureTriggerSql) and in a batch of cards (readTriggerCardsOf), which must agree.
  const measure = async (abpId: string, triggerId: string) => {
    const trigger = demoAbp().delegation_review!.triggers.find((t) => t.id === triggerId)!;
    const alone = await measureTriggerSql(ctx.pool, abpId, parseTriggerCondition(trigger), { now, since: null });
    const abp = { ...demoAbp(), abp_id: abpId };
    const batch = await readTriggerCardsOf(
      ctx.pool,
      ['DRT-001', 'DRT-002', 'DRT-003', 'DRT-004', triggerId].map((id) => ({ abp, triggerId: id })),
      now,
    );
    const counted = batch.map((asked) => ('card' in asked ? asked.card.current : asked.error));
    expect(counted[4]).toBe(alone);
    expect(counted[['DRT-001', 'DRT-002', 'DRT-003', 'DRT-004'].indexOf(triggerId)]).toBe(alone);
    return alone;
  };
  // Evidence is only accepted for an ABP that was built: each test builds one of its own.
  const abpId = async () => (await buildUniqueAbp(ctx)).abp_id;

  it('DRT-001 counts the most repeated fingerprint from now − 14 days on', async () => {
    const id = await abpId();
    await storeIntakeBatch(
      ctx,
      parseIntakeBatch(
        [signal(id, 'a', at(1)), signal(id, 'a', at(14)), signal(id, 'a', at(14, 1)), signal(id, 'b', at(2))].join(
          '\n',
        ),
      ),
      null,
    );
    expect(await measure(id, 'DRT-001')).toBe(2);
  });

  it('DRT-002 counts blocked irreversible actions from now − 7 days on', async () => {
    const id = await abpId();
    const insert = (checkedAt: number, irreversible: boolean, decision: string) =>
      ctx.pool.query(
        `INSERT INTO abp_action_checks (check_id, abp_id, action, irreversible, decision, results, escalations, checked_at)
         VALUES ($1, $2, '{}', $3, $4, '[]', '[]', $5)`,
        [unique('chk'), id, irreversible, decision, new Date(checkedAt)],
      );
    for (let i = 0; i < 5; i++) await insert(at(1), true, 'blocked');
    await insert(at(7, 1), true, 'blocked');
    await insert(at(1), false, 'blocked');
    await insert(at(1), true, 'warned');
    expect(await measure(id, 'DRT-002')).toBe(5);
    await insert(at(7), true, 'blocked');
    expect(await measure(id, 'DRT-002')).toBe(6);
  });

  it('DRT-003 counts the newest runs below 60 until one at or above it', async () => {
    const id = await abpId();
    await storeIntakeBatch(
      ctx,
      parseIntakeBatch([run(id, 59, at(3)), run(id, 59, at(2)), run(id, 59, at(1))].join('\n')),
      null,
    );
    expect(await measure(id, 'DRT-003')).toBe(3);
    await storeIntakeBatch(ctx, parseIntakeBatch(run(id, 60, at(1.5))), null);
    expect(await measure(id, 'DRT-003')).toBe(1);
  });

  it('DRT-004 counts claims that expired from now − 30 days on', async () => {
    const id = await abpId();
    await storeIntakeBatch(
      ctx,
      parseIntakeBatch(
        [claim(id, at(1)), claim(id, at(2)), claim(id, at(30)), claim(id, at(30, 1)), claim(id, at(-1))].join('\n'),
      ),
      null,
    );
    expect(await measure(id, 'DRT-004')).toBe(3);
  });
});

describe('the monitor schedule and the demo', () => {
  it('a Schedule runs the evaluation every 5 minutes and opens reviews', async () => {
    const abp = await buildUniqueAbp(ctx);
    await storeIntakeBatch(ctx, parseIntakeBatch([1, 2, 3].map(() => signal(abp.abp_id, 'fp-s')).join('\n')), null);
    const scheduleId = unique('monitor');
    expect(await ensureDelegationMonitorSchedule(ctx, { scheduleId, abpIds: [abp.abp_id] })).toBe(true);
    expect(await ensureDelegationMonitorSchedule(ctx, { scheduleId, abpIds: [abp.abp_id] })).toBe(false);
    const handle = ctx.temporal.schedule.getHandle(scheduleId);
    try {
      const description = await handle.describe();
      expect(description.spec.intervals).toMatchObject([{ every: 300_000 }]);
      // A pass starts dormant reviews due within its horizon: more than one interval ahead, with room to spare.
      expect(DUE_HORIZON_MS).toBeGreaterThanOrEqual(2 * Number(description.spec.intervals?.[0]?.every));
      await handle.trigger();
      let workflowId: string | undefined;
      while (!workflowId) {
        workflowId = (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId;
        if (!workflowId) await new Promise((r) => setTimeout(r, 200));
      }
      const summary = await ctx.temporal.workflow.getHandle(workflowId).result();
      expect(summary).toMatchObject({ opened: [`${abp.abp_id}.DRT-001.r1`] });
    } finally {
      await handle.delete();
    }
  });

  it('seeds the demo ABP with DRT-001..004 and the seed review policy once', async () => {
    const scheduleHandle = ctx.temporal.schedule.getHandle(DELEGATION_MONITOR_SCHEDULE);
    try {
      await seedDelegationDemo(ctx);
      const again = await seedDelegationDemo(ctx);
      expect(again).toEqual([]);
      const view = await showAbp(ctx, demoAbp().abp_id);
      expect(view.status).toBe('active');
      expect(view.exports).toHaveLength(4);
      const cards = await triggerCards(ctx, demoAbp().abp_id);
      expect(cards.map((c) => [c.triggerId, c.name, c.severity, c.autoOpen])).toEqual([
        ['DRT-001', 'recurring_drift_fingerprint', 'warn', true],
        ['DRT-002', 'irreversible_action_blocked', 'critical', true],
        ['DRT-003', 'linkage_score_sustained_drop', 'critical', true],
        ['DRT-004', 'assumption_expiry_breach', 'warn', false],
      ]);
      expect((view.abp as ReturnType<typeof demoAbp>).delegation_review!.review_policy).toEqual({
        approver_role: 'Reviewer',
        threshold: 1,
        timeout_ms: 604_800_000,
        output: 'abp_patch',
      });
    } finally {
      await scheduleHandle.delete().catch(() => undefined);
    }
  });
});
