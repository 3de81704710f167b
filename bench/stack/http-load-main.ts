import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { closedLoop } from '../load';
import type { HttpLoad } from '../http-load';
import { checkedPoster } from '../http-post';
import { rawCheckedPoster } from '../raw-http-post';

/**
 * The load generator of an HTTP benchmark in a process of its own (bench/http-load.ts), so its
 * requests never share the event loop or the CPU time of the server being measured. Reads the
 * load from `--spec`, writes the latencies (and the generator's own CPU time) to `--out`.
 */
const { values } = parseArgs({ options: { spec: { type: 'string' }, out: { type: 'string' } } });
if (!values.spec || !values.out) throw new Error('usage: http-load-main.ts --spec <file> --out <file>');
const load = JSON.parse(await readFile(values.spec, 'utf8')) as HttpLoad;
const poster = (load.generator === 'raw' ? rawCheckedPoster : checkedPoster)(load, load.concurrency);
await closedLoop(load.warmup, load.concurrency, poster.send);
const cpu = process.cpuUsage();
const result = await closedLoop(load.requests, load.concurrency, poster.send);
const spent = process.cpuUsage(cpu);
poster.close();
// The generator's own CPU over the measured requests: on a shared machine it competes with the server.
await writeFile(values.out, JSON.stringify({ ...result, cpuMs: (spent.user + spent.system) / 1000 }));
