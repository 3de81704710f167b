import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingestFeedback } from '../../../client/guard';
import { cliEnv, runCli } from '../../support/cli';
import { useIntegrationContext } from '../../support/integration';
import { buildUniqueAbp } from '../delegation/fixtures';
import { freshAgent } from '../endorsement/helpers';
import { calibrationArgs, reviewedRows, seedPeopleAndPolicy, toNdjson, uniqueSuffix } from '../guard/guard-fixtures';

const ctx = useIntegrationContext('operator-cli');

const driftRows = (abp: string, key: string, minutesAgo: number[]) =>
  minutesAgo
    .map((m) =>
      JSON.stringify({
        abp_id: abp,
        type: 'verify',
        severity: 'red',
        fingerprint: { key, version: 'v1' },
        observed_at: new Date(Date.now() - m * 60_000).toISOString(),
      }),
    )
    .join('\n');

describe('CLI lines an operator reads', () => {
  it('drift ingest says a trigger already under review is not newly tripped; triggers read as sentences', async () => {
    const abp = await buildUniqueAbp(ctx);
    const env = cliEnv(ctx);
    const first = join(ctx.config.dataDir, `${abp.abp_id}-1.ndjson`);
    const second = join(ctx.config.dataDir, `${abp.abp_id}-2.ndjson`);
    await writeFile(first, driftRows(abp.abp_id, 'fp-cli', [1, 2, 3]));
    await writeFile(second, driftRows(abp.abp_id, 'fp-cli', [4]));

    const tripping = await runCli(['drift', 'ingest', first, '--kind', 'drift_signal'], env);
    expect(tripping.code, tripping.stderr).toBe(0);
    expect(tripping.stdout).toContain(`newly tripped: ${abp.abp_id}/DRT-001`);
    expect(tripping.stdout).toContain(`review opened: ${abp.abp_id}.DRT-001.r1`);

    const again = await runCli(['drift', 'ingest', second, '--kind', 'drift_signal'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('newly tripped: none');
    expect(again.stdout).toContain(`still tripped, review already active: ${abp.abp_id}/DRT-001`);
    const json = await runCli(['drift', 'ingest', second, '--kind', 'drift_signal', '--json'], env);
    expect(json.json.evaluation.underReview).toEqual([`${abp.abp_id}/DRT-001`]);

    const cards = await runCli(['triggers', abp.abp_id], env);
    expect(cards.stdout).toMatch(
      /DRT-001 .*4 repeats of one drift fingerprint( in \d+d)?, threshold \d+ \(trips when reached\)/,
    );
    expect(cards.stdout).not.toMatch(/\d+ >=? \d+/);
  });

  it('proposal calibration run twice says it returns the existing proposal', async () => {
    const suffix = uniqueSuffix();
    const people = await seedPeopleAndPolicy(ctx, suffix);
    const tenant = `cli-fix-${suffix}`;
    await ingestFeedback(ctx, toNdjson(reviewedRows(tenant, 40, { marker: suffix })), people.proposer);
    const args = [
      ...calibrationArgs(`feedback://recent-reviewed?tenant=${tenant}`, `rb-${suffix}`),
      '--as',
      people.proposer,
    ];
    const env = cliEnv(ctx);
    const first = await runCli(args, env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^proposed \S+/);
    const second = await runCli(args, env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^already proposed: .*returning the existing proposal/);
    const id = /^proposed (\S+)/.exec(first.stdout)![1]!;
    expect(second.stdout).toContain(id);
    const asJson = await runCli([...args, '--json'], env);
    expect(asJson.json).toMatchObject({ proposal_id: id, existing: true });
  });

  it('kernel show lists the conflict keywords of every anchor and commitment', async () => {
    const agent = await freshAgent(ctx);
    const shown = await runCli(['kernel', 'show', agent], cliEnv(ctx));
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(
      /harm_avoidance_level = strict {2}\(conflict keywords: "allow harmful content", "disable harm filter"\)/,
    );
    expect(shown.stdout).toMatch(/risk_tolerance = conservative {2}\(no conflict keywords\)/);
    expect(shown.stdout).toMatch(/human_oversight {2}\(conflict keywords: "disable oversight"/);
  });
});
