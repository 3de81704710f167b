import { parseArgs } from 'node:util';
import { stopWhenParentExits } from '../toolchain/parent-watch';
import { onFirstShutdownSignal } from '../toolchain/shutdown-signals';
import { startEmbeddedPostgres } from '../db/embedded-postgres';

/** Child process of `npm start`: serves the embedded database until SIGINT/SIGTERM/SIGHUP, or until `npm start` is gone. */
const { values } = parseArgs({ options: { data: { type: 'string' }, port: { type: 'string' } } });
const pg = await startEmbeddedPostgres({ dataDir: values.data, port: Number(values.port ?? 55432) });
process.stdout.write(`ready ${pg.url}\n`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  // Closing PGlite flushes its data directory; skipping it risks a torn database on disk.
  await pg.stop();
  process.exit(0);
};
onFirstShutdownSignal(() => void stop());
stopWhenParentExits(() => void stop());
