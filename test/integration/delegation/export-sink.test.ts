import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { showAbp, verifyAbp } from '../../../client/delegation';
import { approveReview, openReview, reviewResult } from '../../../client/delegation-reviews';
import { exportSinkFor } from '../../../client/export-sink';
import { listProvenance } from '../../../db/provenance/log';
import type { Abp } from '../../../domain/delegation/schema';
import { importExportFiles } from '../../../worker/export-file-import';
import type { IntegrationContext } from '../../support/integration';
import { useIntegrationContext } from '../../support/integration';
import { cliEnv, runCli } from '../../support/cli';
import { useApiServer } from '../../support/http';
import { allowEmail } from './abp-fixtures';
import { buildUniqueAbp, principal, startWorkerAroundApply } from './fixtures';

const ctx = useIntegrationContext('export-sink');
const call = useApiServer(ctx);

const filesIn = (dir: string) => readdir(dir).catch(() => [] as string[]);
const embeddedHash = (text: string | undefined) => (JSON.parse(text!) as { abp: Abp }).abp.hash;

/** The same installation seen from a replica that shares only configuration and the database. */
async function replica(
  base: IntegrationContext,
  over: Partial<IntegrationContext['config']> = {},
): Promise<IntegrationContext> {
  const dataDir = await mkdtemp(join(tmpdir(), 'warden-replica-'));
  return { ...base, config: { ...base.config, dataDir, exportDir: join(dataDir, 'exports'), ...over } };
}

describe('ABP exports in PostgreSQL (the default sink)', () => {
  it('are written to the database, not the data directory, and verify from a replica with an empty data directory', async () => {
    expect(ctx.config.exportSink).toBe('postgres');
    const abp = await buildUniqueAbp(ctx);
    const { exports } = await showAbp(ctx, abp.abp_id);
    expect(exports).toHaveLength(4);
    const sink = exportSinkFor(ctx.config, ctx.pool);
    for (const e of exports) expect(embeddedHash(await sink.read(e))).toBe(abp.hash);
    const onDisk = await filesIn(ctx.config.exportDir);
    expect(exports.filter((e) => onDisk.includes(e.fileName))).toEqual([]);

    const other = await replica(ctx);
    const verified = await verifyAbp(other, abp.abp_id);
    expect(verified.ok).toBe(true);
    expect(verified.exports.map((e) => e.gates.every((g) => g.passed))).toEqual([true, true, true, true]);
  });

  it('are read by the HTTP API and the CLI from the database', async () => {
    const abp = await buildUniqueAbp(ctx);
    const [first] = (await showAbp(ctx, abp.abp_id)).exports;
    const got = await call('GET', `/api/v1/abps/${abp.abp_id}/exports/${first!.exportId}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      exportId: first!.exportId,
      where: `abp_export_documents/${first!.exportId}`,
      document: { export_id: first!.exportId, abp: { hash: abp.hash } },
    });
    expect((await call('GET', `/api/v1/abps/${abp.abp_id}/exports/no-such-export`)).status).toBe(404);
    // The CLI with a data directory of its own (a replica's operator): the same document.
    const other = await replica(ctx);
    const cli = await runCli(
      ['abp', 'export', abp.abp_id, first!.exportId],
      cliEnv(ctx, { WARDEN_DATA_DIR: other.config.dataDir }),
    );
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({
      export_id: first!.exportId,
      stamp: 1,
      status: 'active',
      abp: { hash: abp.hash },
    });
  });

  it('verify names an export whose document is missing', async () => {
    const abp = await buildUniqueAbp(ctx);
    const [first] = (await showAbp(ctx, abp.abp_id)).exports;
    await ctx.pool.query(`DELETE FROM abp_export_documents WHERE export_id = $1`, [first!.exportId]);
    const verified = await verifyAbp(ctx, abp.abp_id);
    expect(verified.ok).toBe(false);
    expect(verified.exports.find((e) => e.exportId === first!.exportId)!.gates).toEqual([
      { gate: 'gate.abp_present', passed: false, detail: `export missing: abp_export_documents/${first!.exportId}` },
    ]);
  });
});

describe('ABP exports as files (WARDEN_EXPORT_SINK=file)', () => {
  it('builds, re-stamps and verifies files; start-up imports them into PostgreSQL once', async () => {
    const files = await replica(ctx, { exportSink: 'file' });
    const abp = await buildUniqueAbp(files);
    const { exports } = await showAbp(files, abp.abp_id);
    expect((await filesIn(files.config.exportDir)).sort()).toEqual(exports.map((e) => e.fileName).sort());
    expect((await verifyAbp(files, abp.abp_id)).ok).toBe(true);
    // The database holds no document of them: the default sink finds them missing.
    expect((await verifyAbp(ctx, abp.abp_id)).exports.flatMap((e) => e.gates.map((g) => g.gate))).toEqual(
      Array(4).fill('gate.abp_present'),
    );

    // A review applied by a worker configured for files re-stamps the files.
    const worker = await startWorkerAroundApply(files, (real, input) => real(input));
    let nextHash: string;
    try {
      const rev = await principal(ctx, 'rev', ['Reviewer']);
      const review = await openReview(worker.ctx, abp.abp_id, 'DRT-002', rev);
      await approveReview(worker.ctx, review.reviewId, {
        principal: rev,
        outputKind: 'abp_patch',
        document: allowEmail(abp),
        reason: 'files',
      });
      const final = await reviewResult(worker.ctx, review.reviewId);
      expect(final.state).toBe('applied');
      nextHash = final.outcome!.next!.abpHash;
    } finally {
      await worker.stop();
    }
    for (const e of exports)
      expect(embeddedHash(await readFile(join(files.config.exportDir, e.fileName), 'utf8'))).toBe(nextHash);
    expect((await verifyAbp(files, abp.abp_id)).ok).toBe(true);

    // Switching to PostgreSQL: the files are imported as they are, with a provenance entry each.
    const deps = { pool: ctx.pool, provenanceKey: ctx.provenanceKey, exportDir: files.config.exportDir };
    const first = await importExportFiles(deps);
    expect(first.imported.filter((id) => exports.some((e) => e.exportId === id)).sort()).toEqual(
      exports.map((e) => e.exportId).sort(),
    );
    expect((await verifyAbp(ctx, abp.abp_id)).ok).toBe(true);
    const entries = await listProvenance(ctx.pool, { subject: `abp:${abp.abp_id}`, kind: 'abp.export_imported' });
    expect(entries.map((e) => e.payload.export_id).sort()).toEqual(exports.map((e) => e.exportId).sort());
    const again = await importExportFiles(deps);
    expect(again.imported.filter((id) => exports.some((e) => e.exportId === id))).toEqual([]);
    expect(await listProvenance(ctx.pool, { subject: `abp:${abp.abp_id}`, kind: 'abp.export_imported' })).toHaveLength(
      4,
    );
  });
});
