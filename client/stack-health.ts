import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import type { WardenConfig } from '../config/env';
import { databaseFingerprint } from './database-fingerprint';
import type { Health } from './health';

const API_TIMEOUT_MS = 5000;

/** What the HTTP API answered on /healthz, or why it did not. */
interface ApiAnswer {
  api: NonNullable<Health['api']>;
  report?: Health;
}

/** GET with node:http(s): `fetch` would load undici, which costs a CLI call more than the request. */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = (url.startsWith('https:') ? httpsGet : httpGet)(url, { timeout: API_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    request.on('timeout', () =>
      request.destroy(new Error(`the HTTP API did not answer within ${API_TIMEOUT_MS / 1000} s`)),
    );
    request.on('error', reject);
  });
}

function parse(text: string): Partial<Health> | undefined {
  try {
    return JSON.parse(text) as Partial<Health>;
  } catch {
    return undefined;
  }
}

async function askApi(url: string): Promise<ApiAnswer> {
  try {
    const res = await get(`${url}/healthz`);
    const body = parse(res.body);
    // Any HTTP answer means the API process is up; its report is used only when it is complete.
    const report = body?.temporal && body.database && body.worker ? (body as Health) : undefined;
    return { api: { ok: true, detail: `HTTP ${res.status}`, url }, ...(report ? { report } : {}) };
  } catch (e) {
    return { api: { ok: false, detail: e instanceof Error ? e.message.split('\n')[0]! : String(e), url } };
  }
}

/** Whether the API's report is about the stack this process is configured for. */
function describesThisStack(report: Health, config: WardenConfig): boolean {
  return (
    report.temporal.address === config.temporal.address &&
    report.temporal.namespace === config.temporal.namespace &&
    report.worker.taskQueue === config.temporal.taskQueue &&
    report.database.fingerprint === databaseFingerprint(config.databaseUrl)
  );
}

/**
 * `warden status`: the running HTTP API checks Temporal, the database and the worker on every
 * /healthz, so when it answers for the same Temporal, namespace, task queue and database as this
 * process is configured for, its report is the answer (one request, and no Temporal SDK or
 * PostgreSQL driver loaded here). Otherwise, or when it does not answer, each part is checked
 * from here, as before.
 */
export async function stackHealth(config: WardenConfig): Promise<Health> {
  const { api, report } = await askApi(config.http.url);
  if (report && describesThisStack(report, config)) return { ...report, api };
  const [{ openContext }, { checkHealth }] = await Promise.all([import('./context'), import('./health')]);
  const ctx = await openContext({ config, createProvenanceKey: false });
  try {
    const health = await checkHealth(ctx, { checkApi: false });
    return { ...health, ok: health.ok && api.ok, api };
  } finally {
    await ctx.close();
  }
}
