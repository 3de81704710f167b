import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { closedLoop } from '../load';
import type { HttpLoad } from '../http-load';

/**
 * The load generator of an HTTP benchmark in a process of its own (bench/http-load.ts), so its
 * `fetch` calls never share the event loop or the CPU time of the server being measured. Reads
 * the load from `--spec`, writes the latencies to `--out`.
 */
const { values } = parseArgs({ options: { spec: { type: 'string' }, out: { type: 'string' } } });
if (!values.spec || !values.out) throw new Error('usage: http-load-main.ts --spec <file> --out <file>');
const load = JSON.parse(await readFile(values.spec, 'utf8')) as HttpLoad;
const expected = new RegExp(load.expect);
const { numbered } = load;
const bodyOf = (n: number) => (numbered ? load.body.replaceAll(numbered, String(n)) : load.body);
let sent = 0;
const call = async () => {
  const res = await fetch(load.url, { method: 'POST', headers: load.headers, body: bodyOf(sent++) });
  const text = await res.text();
  if (!res.ok || !expected.test(text)) throw new Error(`${load.url}: HTTP ${res.status} ${text.slice(0, 300)}`);
};
await closedLoop(load.warmup, load.concurrency, call);
const result = await closedLoop(load.requests, load.concurrency, call);
await writeFile(values.out, JSON.stringify(result));
