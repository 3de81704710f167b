import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { showAbp } from '../../../client/delegation';
import { openReview, showReview } from '../../../client/delegation-reviews';
import { cliEnv, runCli } from '../../support/cli';
import { useApiServer } from '../../support/http';
import { useIntegrationContext } from '../../support/integration';
import { allowEmail } from '../delegation/abp-fixtures';
import { buildUniqueAbp, principal } from '../delegation/fixtures';

const ctx = useIntegrationContext('operator-dry-run');
const http = useApiServer(ctx);

describe('approving a review with a dry run first', () => {
  it('answers the diff, the new hash and the export gates, and records no vote', async () => {
    const ann = await principal(ctx, 'ann', ['Reviewer']);
    const abp = await buildUniqueAbp(ctx);
    const review = await openReview(ctx, abp.abp_id, 'DRT-001', ann);
    const path = `/api/v1/reviews/${review.reviewId}/approve?dry_run=true`;

    const res = await http('POST', path, { as: ann, output_kind: 'abp_patch', document: allowEmail(abp) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      dryRun: true,
      ok: true,
      issues: [],
      current: { abpId: abp.abp_id, abpHash: abp.hash },
    });
    expect(res.body.next.abpId).toBe(abp.abp_id);
    expect(res.body.next.abpHash).not.toBe(abp.hash);
    const paths = res.body.diff.map((c: { path: string }) => c.path);
    expect(paths).toContain('hash');
    expect(paths.some((p: string) => p.startsWith('tools.allow'))).toBe(true);
    expect(res.body.exports.length).toBeGreaterThan(0);
    expect(res.body.exports.every((e: { gates: { passed: boolean }[] }) => e.gates.every((g) => g.passed))).toBe(true);

    // Nothing was recorded: no vote, the same ABP, the review open.
    const after = await showReview(ctx, review.reviewId);
    expect(after.votes).toEqual([]);
    expect(after.state).toBe('open');
    expect((await showAbp(ctx, abp.abp_id)).versions).toHaveLength(1);
  });

  it('names every problem of an output that would not apply by its field, and leaves the review open', async () => {
    const ann = await principal(ctx, 'ann', ['Reviewer']);
    const outsider = await principal(ctx, 'out', ['auditor']);
    const abp = await buildUniqueAbp(ctx);
    const review = await openReview(ctx, abp.abp_id, 'DRT-002', ann);
    const path = `/api/v1/reviews/${review.reviewId}/approve?dry_run=true`;

    // The example the old dialog offered: objective ids the schema does not know.
    const bad = await http('POST', path, {
      as: ann,
      output_kind: 'abp_patch',
      document: { scope: { contract_id: 'elsewhere' } },
    });
    expect(bad.status).toBe(200);
    expect(bad.body.ok).toBe(false);
    expect(bad.body.issues).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'scope' })]));
    expect(bad.body.outputHash).toBeNull();

    const revoke = await http('POST', path, { as: ann, output_kind: 'abp_revoke' });
    expect(revoke.body.ok).toBe(false);
    expect(revoke.body.issues[0].field).toBe('reason');

    const forbidden = await http('POST', path, { as: outsider, output_kind: 'abp_patch', document: allowEmail(abp) });
    expect(forbidden.status).toBe(403);
    const flag = await http('POST', `/api/v1/reviews/${review.reviewId}/approve?dry_run=maybe`, {
      as: ann,
      output_kind: 'abp_patch',
      document: {},
    });
    expect(flag.status).toBe(400);
    expect((await showReview(ctx, review.reviewId)).votes).toEqual([]);
  });

  it('review approve --dry-run prints the diff and exits 1 when the output would not apply', async () => {
    const ann = await principal(ctx, 'ann', ['Reviewer']);
    const abp = await buildUniqueAbp(ctx);
    const review = await openReview(ctx, abp.abp_id, 'DRT-001', ann);
    const good = join(ctx.config.dataDir, `${review.reviewId}-good.json`);
    const bad = join(ctx.config.dataDir, `${review.reviewId}-bad.json`);
    await writeFile(good, JSON.stringify(allowEmail(abp)));
    await writeFile(bad, JSON.stringify({ scope: { contract_id: 'elsewhere' } }));
    const env = cliEnv(ctx);

    const ok = await runCli(['review', 'approve', review.reviewId, '--output', good, '--dry-run', '--as', ann], env);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/would apply \(no vote recorded\)/);
    expect(ok.stdout).toMatch(new RegExp(`${abp.abp_id} ${abp.hash} -> ${abp.abp_id} sha256:`));
    expect(ok.stdout).toMatch(/^ {2}~ hash: /m);
    expect(ok.stdout).toMatch(/\[pass\]/);

    const no = await runCli(['review', 'approve', review.reviewId, '--output', bad, '--dry-run', '--as', ann], env);
    expect(no.code).toBe(1);
    expect(no.stdout).toMatch(/would NOT apply/);
    expect(no.stdout).toMatch(/PROBLEM scope: /);

    const noReason = await runCli(['review', 'approve', review.reviewId, '--output', good, '--as', ann], env);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toMatch(/--reason: required/);
    expect((await showReview(ctx, review.reviewId)).votes).toEqual([]);
  });
});
