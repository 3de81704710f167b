import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliEnv, runCli, type CliResult } from '../../support/cli';
import { useIntegrationContext } from '../../support/integration';
import { buildUniqueAbp, unique } from '../delegation/fixtures';
import { reviewedRows, toNdjson } from '../guard/guard-fixtures';

const ctx = useIntegrationContext('cli-progress');
// Several statements' worth of rows (500 a statement), so storing moves through the bar.
const ROWS = 2_600;

/** The lines of one phase, as a pipe (not a terminal) receives them. */
const phaseLines = (r: CliResult, phase: string) =>
  r.stderr.split('\n').filter((line) => line.startsWith(`${phase}  `));
const percents = (lines: string[]) => lines.map((line) => Number(/(\d+)%/.exec(line)?.[1]));

function expectPlainProgress(r: CliResult, rows: number) {
  const count = `${rows.toLocaleString('en-US')}/${rows.toLocaleString('en-US')}`;
  expect(r.stderr).not.toContain('\r');
  for (const phase of ['validating rows', 'storing rows']) {
    const lines = phaseLines(r, phase);
    const p = percents(lines);
    // A line per tenth at most, never going back, and the phase ends complete.
    expect(p.length, r.stderr).toBeGreaterThanOrEqual(3);
    expect(p.length, r.stderr).toBeLessThanOrEqual(12);
    expect(p).toEqual([...p].sort((a, b) => a - b));
    expect(p.at(-1)).toBe(100);
    expect(lines.at(-1)).toContain(count);
  }
  expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(/^ingest done in \d+ s$/);
  expect(r.stdout).not.toMatch(/validating rows|storing rows|done in/);
}

describe('progress of bulk ingests on the CLI', () => {
  it('drift ingest shows validating and storing on stderr, and --json prints only the result', async () => {
    const env = cliEnv(ctx);
    const abp = await buildUniqueAbp(ctx);
    const file = join(ctx.config.dataDir, 'signals.ndjson');
    const observed = Date.now() - 60_000;
    const signals = Array.from({ length: ROWS }, (_, n) =>
      JSON.stringify({
        kind: 'drift_signal',
        abp_id: abp.abp_id,
        type: 'freshness',
        severity: 'green',
        fingerprint: { key: unique('fp'), version: 1 },
        observed_at: new Date(observed - n).toISOString(),
      }),
    );
    await writeFile(file, signals.join('\n'));

    const text = await runCli(['drift', 'ingest', file], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^drift signals ${ROWS}/${ROWS}, coherence runs 0/0, claims 0/0 stored`));
    expectPlainProgress(text, ROWS);
    expect(phaseLines(text, 'evaluating triggers')).toHaveLength(1);

    const again = await runCli(['drift', 'ingest', file, '--json'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toBe('');
    expect(again.json).toMatchObject({ driftSignals: { received: ROWS, stored: 0 }, abpIds: [abp.abp_id] });
  });

  it('feedback ingest shows progress, refuses a conflicting batch whole, and --json prints only the result', async () => {
    const env = cliEnv(ctx);
    const tenant = unique('tenant-progress');
    const rows = reviewedRows(tenant, ROWS, { marker: 'progress' });
    const file = join(ctx.config.dataDir, 'feedback.ndjson');
    await writeFile(file, toNdjson(rows));

    const text = await runCli(['feedback', 'ingest', file], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.trim()).toBe(`stored ${ROWS} new feedback events (0 already stored, ${ROWS} rows)`);
    expectPlainProgress(text, ROWS);

    const again = await runCli(['feedback', 'ingest', file, '--json'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toBe('');
    expect(again.json).toEqual({ rows: ROWS, inserted: 0, unchanged: ROWS });

    // New rows first, then (in the third statement's chunk) a stored event with other content:
    // the refusal names that line and none of the new rows is kept.
    const fresh = reviewedRows(`${tenant}-more`, 1_200, { marker: 'more' });
    const changed = { ...rows[7]!, label: rows[7]!.label === 'safe' ? 'unsafe' : 'safe' };
    const conflicting = join(ctx.config.dataDir, 'conflicting.ndjson');
    await writeFile(conflicting, toNdjson([...fresh, changed]));
    const refused = await runCli(['feedback', 'ingest', conflicting], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(`\\nerror: line 1201: metadata\\.event_id ${tenant}-evt-7 is already stored with different content`),
    );
    const kept = await ctx.pool.query('SELECT count(*)::int AS n FROM guard_feedback_events WHERE tenant_id = $1', [
      `${tenant}-more`,
    ]);
    expect(kept.rows[0].n).toBe(0);
  });
});
