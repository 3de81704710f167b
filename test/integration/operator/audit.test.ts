import { describe, expect, it } from 'vitest';
import { openReview } from '../../../client/delegation-reviews';
import { cliEnv, runCli } from '../../support/cli';
import { useApiServer } from '../../support/http';
import { useIntegrationContext } from '../../support/integration';
import { buildUniqueAbp, principal } from '../delegation/fixtures';

const ctx = useIntegrationContext('operator-audit');
const http = useApiServer(ctx);

describe('the audit trail', () => {
  it('filters by actor, kind, subject and time, pages, and shows an entry in full with its checks', async () => {
    const ann = await principal(ctx, 'ann', ['Reviewer']);
    const started = new Date().toISOString();
    const abps = [await buildUniqueAbp(ctx), await buildUniqueAbp(ctx), await buildUniqueAbp(ctx)];
    const reviews = [];
    for (const abp of abps) reviews.push(await openReview(ctx, abp.abp_id, 'DRT-001', ann));

    const byActor = await http('GET', `/api/v1/provenance?actor=${ann}&since=${encodeURIComponent(started)}`);
    expect(byActor.status).toBe(200);
    expect(byActor.body.entries.map((e: { subject: string }) => e.subject)).toEqual(
      reviews.map((r) => `review:${r.reviewId}`).reverse(),
    );
    expect(
      byActor.body.entries.every((e: { actor: string; kind: string }) => e.actor === ann && e.kind === 'review.opened'),
    ).toBe(true);

    // Two per page: the second page continues where the first stopped, and is the last.
    const first = await http('GET', `/api/v1/provenance?actor=${ann}&limit=2`);
    expect(first.body.entries).toHaveLength(2);
    const second = await http('GET', `/api/v1/provenance?actor=${ann}&limit=2&before=${first.body.nextBefore}`);
    expect(second.body.entries).toHaveLength(1);
    expect(second.body.nextBefore).toBeNull();
    expect(second.body.entries[0].seq).toBeLessThan(first.body.entries[1].seq);

    const none = await http('GET', `/api/v1/provenance?actor=${ann}&until=${encodeURIComponent(started)}`);
    expect(none.body.entries).toEqual([]);
    const system = await http('GET', '/api/v1/provenance?actor=system&limit=20');
    expect(system.body.entries.some((e: { actor: string | null }) => e.actor === ann)).toBe(false);
    expect(system.body.entries.every((e: { actor: string | null }) => e.actor === null)).toBe(true);
    const bad = await http('GET', '/api/v1/provenance?since=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0].field).toBe('since');

    const seq = byActor.body.entries[0].seq;
    const detail = await http('GET', `/api/v1/provenance/entries/${seq}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      seq,
      actor: ann,
      kind: 'review.opened',
      checks: { contentHash: true, signature: true, link: true },
    });
    expect(detail.body.payload).toMatchObject({ abp_id: abps[2]!.abp_id, trigger_id: 'DRT-001', manual: true });
    expect((await http('GET', '/api/v1/provenance/entries/999999999')).status).toBe(404);

    const cli = await runCli(['provenance', 'show', String(seq)], cliEnv(ctx));
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/signature valid; link to #\d+ holds/);
    const listed = await runCli(['provenance', 'list', '--actor', ann, '--json'], cliEnv(ctx));
    expect(listed.json).toHaveLength(3);
  });
});
