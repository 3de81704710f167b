import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createApiServer } from '../../../api/server';
import { createApiToken, revokeApiToken } from '../../../db/access/api-tokens';
import { addPrincipal } from '../../../db/access/principals';
import { ActionCheckEngine } from '../../../client/action-check';
import { actionCheckEngine, checkAbpAction, ingestEvidence } from '../../../client/delegation';
import { approveReview, openReview, reviewResult } from '../../../client/delegation-reviews';
import { ActionSchema } from '../../../domain/delegation/action';
import type { Abp } from '../../../domain/delegation/schema';
import { eventually } from '../endorsement/helpers';
import { useIntegrationContext } from '../../support/integration';
import { allowEmail } from './abp-fixtures';
import { buildUniqueAbp, principal, sendExternalEmail, uniqueSpec } from './fixtures';

const ctx = useIntegrationContext('delegation-action-cache');

/**
 * An allowed read under `abp`, checked until the engine keeps the ABP compiled (only a change to
 * this ABP makes its compiled form stale, so the first check normally leaves it cached).
 */
async function warmAllowedRead(abp: Abp, n: number) {
  const read = { ...sendExternalEmail(abp.hash, n), tool: 'ats.read', irreversible: false };
  const cached = await eventually(
    async () => {
      expect((await checkAbpAction(ctx, abp.abp_id, read)).decision).toBe('allowed');
      return actionCheckEngine(ctx).decideCached(abp.abp_id, ActionSchema.parse(read));
    },
    (verdict) => verdict !== null,
    60_000,
  );
  // The cached form still allows it: what the next call would answer without re-validation.
  expect(cached?.decision).toBe('allowed');
  return read;
}

async function apply(abp: Abp, outputKind: 'abp_patch' | 'abp_replace' | 'abp_revoke', document: unknown) {
  const rev = await principal(ctx, 'rev', ['Reviewer']);
  const review = await openReview(ctx, abp.abp_id, 'DRT-002', rev);
  await approveReview(ctx, review.reviewId, {
    principal: rev,
    outputKind,
    document,
    reason: `cache test: ${outputKind}`,
  });
  const final = await reviewResult(ctx, review.reviewId);
  expect(final.state).toBe('applied');
  return final;
}

const storedDecision = async (checkId: string) =>
  (await ctx.pool.query<{ decision: string }>('SELECT decision FROM abp_action_checks WHERE check_id = $1', [checkId]))
    .rows[0]?.decision;

describe('the compiled ABP cache of action checks', () => {
  it('a patch: the very next check with the old hash is blocked, and so is its stored verdict', async () => {
    const abp = await buildUniqueAbp(ctx);
    const read = await warmAllowedRead(abp, 1);
    await apply(abp, 'abp_patch', allowEmail(abp));
    const next = await checkAbpAction(ctx, abp.abp_id, { ...read, action_id: 'after-patch' });
    expect(next.decision).toBe('blocked');
    expect(next.results.find((r) => !r.passed)?.name).toBe('policy_hash_matches');
    expect(await storedDecision(next.checkId)).toBe('blocked');
  });

  it('a replace: the very next check under the old id is blocked', async () => {
    const abp = await buildUniqueAbp(ctx);
    const read = await warmAllowedRead(abp, 1);
    const final = await apply(abp, 'abp_replace', { ...uniqueSpec(), tools: allowEmail(abp).tools });
    const next = await checkAbpAction(ctx, abp.abp_id, { ...read, action_id: 'after-replace' });
    expect(next.decision).toBe('blocked');
    expect(await storedDecision(next.checkId)).toBe('blocked');
    const moved = final.outcome!.next!;
    expect((await checkAbpAction(ctx, moved.abpId, sendExternalEmail(moved.abpHash, 2))).decision).toBe('allowed');
  });

  it('a revoke: the very next check is blocked as revoked', async () => {
    const abp = await buildUniqueAbp(ctx);
    const read = await warmAllowedRead(abp, 1);
    await apply(abp, 'abp_revoke', { reason: 'compromised' });
    const next = await checkAbpAction(ctx, abp.abp_id, { ...read, action_id: 'after-revoke' });
    expect(next.decision).toBe('blocked');
    expect(next.results.find((r) => !r.passed)?.name).toBe('abp_not_revoked');
    expect(await storedDecision(next.checkId)).toBe('blocked');
  });

  it("a change to another ABP leaves this one's compiled form fresh: its next checks read no facts and are not re-run", async () => {
    const [x, y] = [await buildUniqueAbp(ctx), await buildUniqueAbp(ctx)];
    // An engine of its own over a pool that counts its reads (the compile path queries the pool
    // directly) and its flushes: one statement on the pool when the chain's head is where the engine
    // left it, else a transaction; a check re-run on fresh facts would add reads and a transaction.
    const seen = { reads: 0, flushes: 0 };
    const isFlush = (sql: unknown) => typeof sql === 'string' && sql.startsWith('SELECT pg_advisory_xact_lock(');
    const counting = new Proxy(ctx.pool, {
      get(pool, name) {
        if (name === 'query')
          return (...args: Parameters<typeof pool.query>) => {
            if (isFlush(args[0])) seen.flushes++;
            else seen.reads++;
            return pool.query(...args);
          };
        if (name === 'connect') return () => (seen.flushes++, pool.connect());
        const value: unknown = Reflect.get(pool, name);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(pool) : value;
      },
    });
    const engine = new ActionCheckEngine({ pool: counting, provenanceKey: ctx.provenanceKey });
    const read = (n: number) => ({ ...sendExternalEmail(y.hash, n), tool: 'ats.read', action_id: `y-${n}` });
    expect((await engine.check(y.abp_id, read(1))).decision).toBe('allowed');
    expect(seen.reads).toBeGreaterThan(0);
    // X patched (through the other context) between Y's checks.
    await apply(x, 'abp_patch', allowEmail(x));
    seen.reads = 0;
    seen.flushes = 0;
    for (const n of [2, 3]) expect((await engine.check(y.abp_id, read(n))).decision).toBe('allowed');
    // X's patch moved the chain's head, so the first flush may take both ways (the one statement,
    // refused, then the transaction): at most one flush more than the checks, and no read of facts.
    expect(seen.reads).toBe(0);
    expect(seen.flushes).toBeGreaterThanOrEqual(2);
    expect(seen.flushes).toBeLessThanOrEqual(3);
    expect(await storedDecision(`${y.abp_id}/y-3`)).toBe('allowed');
    // And a change to Y itself still reaches Y's very next check.
    await apply(y, 'abp_revoke', { reason: 'compromised' });
    const next = await engine.check(y.abp_id, read(4));
    expect(next.results.find((r) => !r.passed)?.name).toBe('abp_not_revoked');
    expect(await storedDecision(next.checkId)).toBe('blocked');
  });

  it('drift stored by another writer reaches the next check (drift_threshold escalates)', async () => {
    const abp = await buildUniqueAbp(ctx);
    const read = await warmAllowedRead(abp, 1);
    const now = Date.now();
    const seven = Array.from({ length: 7 }, (_, i) =>
      JSON.stringify({
        kind: 'drift_signal',
        abp_id: abp.abp_id,
        type: 'verify',
        severity: 'red',
        fingerprint: { key: `fp-cache-${i}`, version: 'v1' },
        observed_at: new Date(now - (i + 1) * 1000).toISOString(),
      }),
    );
    await ingestEvidence(ctx, seven.join('\n'));
    const next = await checkAbpAction(ctx, abp.abp_id, { ...read, action_id: 'after-drift' });
    expect(next.results.find((r) => r.name === 'drift_threshold')).toMatchObject({ passed: false });
    expect(next.decision).toBe('escalated');
  });

  it('concurrent checks share group commits and every answered verdict is stored with its provenance entry', async () => {
    const abp = await buildUniqueAbp(ctx);
    const checks = await Promise.all(
      Array.from({ length: 40 }, (_, n) =>
        checkAbpAction(ctx, abp.abp_id, {
          ...sendExternalEmail(abp.hash, n),
          tool: 'ats.read',
          action_id: `burst-${n}`,
        }),
      ),
    );
    expect(checks.every((c) => c.decision === 'allowed')).toBe(true);
    const ids = checks.map((c) => c.checkId);
    const stored = await ctx.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM abp_action_checks WHERE check_id = ANY($1)',
      [ids],
    );
    expect(stored.rows[0]!.n).toBe(40);
    const logged = await ctx.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM provenance_log WHERE kind = 'action.checked' AND payload->>'check_id' = ANY($1)`,
      [ids],
    );
    expect(logged.rows[0]!.n).toBe(40);
    // The same action id again is recorded once (its first verdict stays).
    await checkAbpAction(ctx, abp.abp_id, {
      ...sendExternalEmail(abp.hash, 0),
      tool: 'ats.read',
      action_id: 'burst-0',
    });
    const again = await ctx.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM provenance_log WHERE kind = 'action.checked' AND payload->>'check_id' = $1`,
      [ids[0]],
    );
    expect(again.rows[0]!.n).toBe(1);
  });

  it('a cached API token: revoked by another context, the very next check over HTTP is refused and not recorded', async () => {
    const abp = await buildUniqueAbp(ctx);
    const agent = `cache-agent-${Math.random().toString(16).slice(2, 8)}`;
    await addPrincipal(ctx.pool, agent, ['agent']);
    const { token, info } = await createApiToken(ctx.pool, { principal: agent });
    const server = createApiServer(ctx);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/abps/${abp.abp_id}/actions/check`;
      const check = async (actionId: string) => {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ ...sendExternalEmail(abp.hash, 1), tool: 'ats.read', action_id: actionId }),
        });
        return { status: res.status, body: (await res.json()) as { decision?: string; error?: string } };
      };
      // Twice, so the second is answered from the cached token.
      expect((await check('before-1')).body.decision).toBe('allowed');
      expect((await check('before-2')).body.decision).toBe('allowed');
      // Revoked in the database by another writer (as the CLI would), not through this server's cache.
      await revokeApiToken(ctx.pool, info.id);
      const refused = await check('after-revoke');
      expect(refused.status).toBe(401);
      expect(refused.body.error).toMatch(/revoked/);
      expect(await storedDecision(`${abp.abp_id}/after-revoke`)).toBeUndefined();
      expect(await storedDecision(`${abp.abp_id}/before-2`)).toBe('allowed');
      // And stays refused (the cache dropped it: the next request is refused by authentication).
      expect((await check('after-revoke-2')).status).toBe(401);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
