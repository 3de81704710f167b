// How long one feedback import holds the provenance chain lock, and what waits meanwhile:
//   node bin/run.js bench/tools/feedback-import-stall.ts [rows,…=1000,10000,50000] [postgres]
// On a migrated database of its own (PGlite in a child process, or a scratch database on
// DATABASE_URL's server with `postgres`), `ingestFeedback` imports batches of fresh rows while two
// probes run every 10 ms: a transaction begun with the chain lock (what every provenance writer does
// first: action-check flushes, intake, votes) and a plain read. It prints the import's time (parsing
// included, and the parsing alone: it runs on the probes' event loop before the transaction), the
// longest wait of each probe and how many waited over 100 ms, and how long the import's transaction
// (begun with the chain lock) lasted.
import type pg from 'pg';
import { ingestFeedback } from '../../client/guard';
import { parseFeedbackBatch } from '../../domain/guard/feedback-row';
import type { WardenContext } from '../../client/context';
import { migrate } from '../../db/migrate';
import { createPool } from '../../db/pool';
import { withProvenanceTransaction } from '../../db/provenance/log';
import { startDefaultDatabase, startEmbeddedDatabase } from '../stack/database';

const sizes = (process.argv[2] ?? '1000,10000,50000').split(',').map(Number);
const database = process.argv[3] === 'postgres' ? await startDefaultDatabase() : await startEmbeddedDatabase();
const pool = createPool(database.url, 4);
const ctx = { pool, provenanceKey: 'feedback-import-stall' } as unknown as WardenContext;

// The import's transaction, from its BEGIN (which takes the chain lock) to its COMMIT: how long it
// holds the lock. Timed on the import's own pool; the probes use another.
const held: number[] = [];
/** This process's CPU time (ms) inside that transaction: the client's share of the hold. */
const heldCpu: number[] = [];
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
(pool as { connect: () => Promise<pg.PoolClient> }).connect = async () => {
  const client = await connect();
  const query = client.query.bind(client) as (text: string, values?: unknown[]) => Promise<unknown>;
  let begun = 0;
  let begunCpu = 0;
  (client as { query: typeof query }).query = async (text, values) => {
    if (typeof text === 'string' && text.startsWith('BEGIN')) [begun, begunCpu] = [performance.now(), cpuMs()];
    const result = await query(text, values);
    if (text === 'COMMIT' || text === 'ROLLBACK') {
      held.push(performance.now() - begun);
      heldCpu.push(cpuMs() - begunCpu);
    }
    return result;
  };
  return client;
};
const probes = createPool(database.url, 2);

function ndjson(tag: string, rows: number): string {
  const at = new Date().toISOString();
  return Array.from({ length: rows }, (_, k) =>
    JSON.stringify({
      prompt: `prompt ${tag} ${k}`,
      response: `response ${tag} ${k}`,
      label: k % 2 ? 'safe' : 'unsafe',
      tenant_id: 'tenant-a',
      metadata: { event_id: `evt-${tag}-${k}`, reviewer_id: 'rev-1' },
      timestamp: at,
    }),
  ).join('\n');
}

/** Runs `probe` every 10 ms until stopped; each wait in ms. */
function probing(probe: () => Promise<unknown>) {
  const waits: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      await probe();
      waits.push(performance.now() - t0);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  return async () => {
    running = false;
    await loop;
    return waits;
  };
}

const describe = (waits: number[]) =>
  `max ${Math.max(...waits).toFixed(0)} ms, ${waits.filter((w) => w > 100).length} of ${waits.length} over 100 ms`;

try {
  await migrate(pool);
  await ingestFeedback(ctx, ndjson('warm', 100));
  console.log(`${database.label}`);
  for (const rows of sizes) {
    const text = ndjson(`n${rows}`, rows);
    // The import parses before its transaction, on this event loop (the probes wait for it too).
    const p0 = performance.now();
    parseFeedbackBatch(text);
    const parseMs = performance.now() - p0;
    const stopLocked = probing(() => withProvenanceTransaction(probes, (tx) => tx.query('SELECT 1')));
    const stopRead = probing(() => probes.query('SELECT 1'));
    held.length = 0;
    heldCpu.length = 0;
    const t0 = performance.now();
    const result = await ingestFeedback(ctx, text);
    const importMs = performance.now() - t0;
    const [locked, read] = [await stopLocked(), await stopRead()];
    console.log(
      `${rows} rows (${(text.length / 1024 / 1024).toFixed(1)} MiB, ${result.inserted} inserted): import ${importMs.toFixed(0)} ms (parsing ${parseMs.toFixed(0)} ms of it), its transaction ${Math.max(...held).toFixed(0)} ms (this process's CPU in it ${Math.max(...heldCpu).toFixed(0)} ms); ` +
        `chain-lock probe ${describe(locked)}; plain read ${describe(read)}`,
    );
  }
} finally {
  await pool.end();
  await probes.end();
  await database.stop();
}
