import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/env';
import { createApiToken } from '../../db/access/api-tokens';
import { addPrincipal } from '../../db/access/principals';
import { createPool } from '../../db/pool';
import { DEMO_GUARD_POLICY } from '../../demo/guard';
import { startFleet, type Fleet } from '../../start/fleet';
import { freePortRange } from '../../toolchain/child-process';
import { allowEmail, uniqueSpec } from '../integration/delegation/abp-fixtures';
import { BENIGN, SEED_RULE } from '../integration/endorsement/helpers';
import { reviewedRows, toNdjson } from '../integration/guard/guard-fixtures';
import { eventually, FleetClient, inParallel, type Reply } from './fleet-client';

/**
 * Issue 13, item 3: the three loops at once on a real Temporal cluster (server 1.29.1 on
 * PostgreSQL, SQL visibility) with 3 worker processes and 2 API processes, every request sent
 * through one API process or the other, while a random worker is SIGKILLed and restarted 10
 * times. Afterwards every workflow must have reached its end state with every side effect done
 * exactly once, and both API processes must tell the same story.
 */
const AGENTS = 10;
const CHATS_PER_AGENT = 20;
const REVIEWS = 50;
const PROPOSALS = 50;
const KILLS = 10;
const CONCURRENCY = 6;
const FEEDBACK_ROWS = 33;

const suffix = randomBytes(3).toString('hex');
const names = {
  admin: `fleet-admin-${suffix}`,
  revA: `fleet-rev-a-${suffix}`,
  revB: `fleet-rev-b-${suffix}`,
  proposer: `fleet-proposer-${suffix}`,
  approver: `fleet-approver-${suffix}`,
};

let dataDir: string;
let fleet: Fleet;
let pool: pg.Pool;
let client: FleetClient;
let shadowWaitsTimedOut = 0;
const log = (line: string) => console.log(`[fleet] ${line}`);

beforeAll(async () => {
  const config = loadConfig();
  dataDir = await mkdtemp(join(tmpdir(), 'warden-fleet-'));
  // The fleet's PostgreSQL runs as the postgres user, who must reach its data directory inside.
  await chmod(dataDir, 0o755);
  const taken = new Set<number>();
  const [temporalPort, uiPort, apiPort, workerHealthPort, pgPort] = [
    await freePortRange(1, taken),
    await freePortRange(1, taken),
    await freePortRange(2, taken),
    await freePortRange(3, taken),
    await freePortRange(1, taken),
  ];
  fleet = await startFleet({
    workers: 3,
    apis: 2,
    dataDir,
    cacheDir: config.cacheDir,
    ...(config.externalDatabaseUrl ? { databaseUrl: config.externalDatabaseUrl } : {}),
    databasePrefix: `fleet_${suffix}`,
    namespace: 'default',
    temporalPort: temporalPort!,
    uiPort: uiPort!,
    apiPort: apiPort!,
    workerHealthPort: workerHealthPort!,
    pgPort: pgPort!,
    durable: false,
    // Quiet: the workers' INFO lines would drown the report.
    env: { WARDEN_LOG_LEVEL: 'warn' },
    log,
  });
  pool = createPool(fleet.databaseUrl, 4);
  await addPrincipal(pool, names.admin, ['admin', 'operator']);
  await addPrincipal(pool, names.revA, ['Reviewer']);
  await addPrincipal(pool, names.revB, ['Reviewer']);
  await addPrincipal(pool, names.proposer, ['ml-engineer']);
  await addPrincipal(pool, names.approver, ['safety-lead']);
  const tokens = new Map<string, string>();
  for (const name of Object.values(names)) tokens.set(name, (await createApiToken(pool, { principal: name })).token);
  client = new FleetClient(fleet.apiUrls, tokens);
});

afterAll(async () => {
  await pool?.end();
  await fleet?.stop({ dropDatabases: true });
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function expectStatus(reply: Reply, status: number | number[], what: string): Reply {
  const ok = Array.isArray(status) ? status.includes(reply.status) : reply.status === status;
  if (!ok) throw new Error(`${what}: HTTP ${reply.status} ${JSON.stringify(reply.body).slice(0, 400)}`);
  return reply;
}

/** A staged endorsement on an agent of its own, then its chats, each mirrored to the sandbox. */
async function endorsementLoop(i: number): Promise<{ agent: string; endorsementId: string }> {
  const agent = `fleet-${suffix}-${i}`;
  const settings = { cooldownBaseSeconds: 20, cooldownMaxSeconds: 3600, minSamples: CHATS_PER_AGENT };
  expectStatus(
    await client.call(i, 'POST', '/api/v1/agents', names.admin, { id: agent, settings, as: names.admin }),
    201,
    `agent ${agent}`,
  );
  const endorsed = expectStatus(
    await client.call(i + 1, 'POST', `/api/v1/agents/${agent}/endorsements`, names.admin, {
      rule: SEED_RULE,
      decide: 'stage',
      as: names.admin,
    }),
    201,
    `endorse ${agent}`,
  );
  const endorsementId = endorsed.body.endorsementId as string;
  await inParallel(
    2,
    Array.from({ length: CHATS_PER_AGENT }, (_, n) => async () => {
      const message = `${BENIGN[n % BENIGN.length]} (${n})`;
      // Sent once: a repeated chat is another sample. With a worker just killed, waiting for the
      // shadow's score can outlast the API's wait (a 500, the error logged by the API process); the
      // sample must still be scored later, which the counts below check.
      const r = await client.call(
        n,
        'POST',
        `/api/v1/agents/${agent}/chat`,
        names.admin,
        { message, waitForShadow: true },
        'application/json',
        { retry: false },
      );
      if (r.status === 500) shadowWaitsTimedOut++;
      else expectStatus(r, 200, `chat ${agent} #${n}`);
    }),
  );
  return { agent, endorsementId };
}

/** An ABP whose reviews need two approvals, a review on it, and the two votes through both API processes. */
async function reviewLoop(i: number): Promise<{ abpId: string; reviewId: string }> {
  const base = uniqueSpec();
  const review = base.delegation_review!;
  const spec = {
    ...base,
    delegation_review: { ...review, review_policy: { ...review.review_policy, threshold: 2 } },
    as: names.admin,
  };
  const built = expectStatus(await client.call(i, 'POST', '/api/v1/abps', names.admin, spec), 201, `ABP #${i}`);
  const abp = built.body.abp;
  const opened = expectStatus(
    await client.call(i + 1, 'POST', '/api/v1/reviews', names.revA, {
      abp_id: abp.abp_id,
      trigger_id: 'DRT-001',
      as: names.revA,
    }),
    201,
    `review on ${abp.abp_id}`,
  );
  const reviewId = opened.body.reviewId as string;
  const vote = async (api: number, who: string) => {
    const r = await client.call(api, 'POST', `/api/v1/reviews/${reviewId}/approve`, who, {
      output_kind: 'abp_patch',
      document: allowEmail(abp),
      reason: 'fleet',
      as: who,
    });
    // A retried vote meets its own first attempt: "already voted" means it was counted once.
    if (r.status === 409 && /already voted/.test(JSON.stringify(r.body))) return;
    expectStatus(r, 200, `vote of ${who} on ${reviewId}`);
  };
  await vote(i, names.revA);
  await vote(i + 1, names.revB);
  return { abpId: abp.abp_id as string, reviewId };
}

/** A calibration proposal on its own tenant's feedback, approved and released. */
async function proposalLoop(i: number): Promise<{ proposalId: string }> {
  const tenant = `fleet-${suffix}-t${i}`;
  const proposed = expectStatus(
    await client.call(i, 'POST', '/api/v1/guard/proposals/calibration', names.proposer, {
      policy_id: DEMO_GUARD_POLICY.policy_id,
      source_ref: `feedback://recent-reviewed?tenant=${tenant}`,
      as: names.proposer,
      current_threshold: 0.55,
      candidate_threshold: 0.58,
      confidence_low: 0.51,
      confidence_high: 0.61,
      rollback_id: `fleet-rollback-${suffix}-${i}`,
    }),
    201,
    `proposal #${i}`,
  );
  const proposalId = proposed.body.proposal_id as string;
  expectStatus(
    await client.call(i + 1, 'POST', `/api/v1/guard/proposals/${proposalId}/approve`, names.approver, {
      approval_id: `fleet-${suffix}-${i}`,
      as: names.approver,
    }),
    200,
    `approve ${proposalId}`,
  );
  expectStatus(
    await client.call(i, 'POST', `/api/v1/guard/proposals/${proposalId}/release`, names.approver, {
      as: names.approver,
    }),
    200,
    `release ${proposalId}`,
  );
  return { proposalId };
}

/** SIGKILLs a random worker `KILLS` times, each time restarting it and waiting until it is healthy. */
async function killWorkers(until: Promise<unknown>): Promise<number[]> {
  const killed: number[] = [];
  let loadDone = false;
  void until.finally(() => (loadDone = true));
  while (killed.length < KILLS) {
    // While the load runs, a kill every few seconds; once it is done, the rest back to back.
    await sleep(loadDone ? 500 : 3000 + Math.random() * 4000);
    const index = Math.floor(Math.random() * fleet.workers.length);
    await fleet.killWorker(index);
    killed.push(index);
    log(`SIGKILL ${fleet.workers[index]!.name} (${killed.length}/${KILLS})`);
    await fleet.restartWorker(index);
  }
  return killed;
}

async function provenanceCount(subject: string, kind: string): Promise<number> {
  const q = `/api/v1/provenance?subject=${encodeURIComponent(subject)}&kind=${encodeURIComponent(kind)}&limit=100`;
  return (
    expectStatus(await client.call(0, 'GET', q, names.admin), 200, `provenance ${subject}`).body.entries as unknown[]
  ).length;
}

describe('a Warden fleet on a real Temporal cluster', () => {
  it('drives all three loops through two API processes while workers are killed, with every side effect once', async () => {
    const started = Date.now();
    let exitedUnexpectedly: string | undefined;
    void fleet.unexpectedExit.then(({ name, code }) => (exitedUnexpectedly = `${name} (code ${code})`));
    // Each proposal reads its own tenant's reviewed feedback: ingested first, in one request.
    const feedback = Array.from({ length: PROPOSALS }, (_, i) =>
      reviewedRows(`fleet-${suffix}-t${i}`, FEEDBACK_ROWS, { marker: `fleet-${suffix}` }),
    ).flat();
    expectStatus(
      await client.call(0, 'POST', '/api/v1/guard/feedback', names.admin, toNdjson(feedback), 'application/x-ndjson'),
      201,
      'feedback',
    );

    const load = Promise.all([
      inParallel(
        2,
        Array.from({ length: AGENTS }, (_, i) => () => endorsementLoop(i)),
      ),
      inParallel(
        CONCURRENCY / 3,
        Array.from({ length: REVIEWS }, (_, i) => () => reviewLoop(i)),
      ),
      inParallel(
        CONCURRENCY / 3,
        Array.from({ length: PROPOSALS }, (_, i) => () => proposalLoop(i)),
      ),
    ]);
    const [[endorsements, reviews, proposals], killed] = await Promise.all([load, killWorkers(load)]);
    const driven = Date.now();
    log(`load driven in ${Math.round((driven - started) / 1000)} s; waiting for the end states`);

    // Every workflow reaches its end state: endorsements promoted by their cooldown timer with
    // every chat scored, reviews applied, proposals released.
    const endorsementViews = await inParallel(
      CONCURRENCY,
      endorsements.map(
        (e) => () =>
          eventually(
            `endorsement ${e.endorsementId}`,
            async () => (await client.call(1, 'GET', `/api/v1/endorsements/${e.endorsementId}`, names.admin)).body,
            (b) => b?.state === 'promoted',
            300_000,
          ),
      ),
    );
    const reviewViews = await inParallel(
      CONCURRENCY,
      reviews.map(
        (r) => () =>
          eventually(
            `review ${r.reviewId}`,
            async () => (await client.call(0, 'GET', `/api/v1/reviews/${r.reviewId}`, names.admin)).body,
            (b) => b?.state === 'applied',
            300_000,
          ),
      ),
    );
    const proposalViews = await inParallel(
      CONCURRENCY,
      proposals.map(
        (p) => async () => (await client.call(1, 'GET', `/api/v1/guard/proposals/${p.proposalId}`, names.admin)).body,
      ),
    );
    expect(endorsementViews.map((v) => v.state)).toEqual(endorsements.map(() => 'promoted'));
    expect(reviewViews.map((v) => v.state)).toEqual(reviews.map(() => 'applied'));
    expect(proposalViews.map((v) => v.state)).toEqual(proposals.map(() => 'released'));

    // No chat lost or scored twice: one shadow sample row and one provenance entry per chat.
    expect(endorsementViews.map((v) => v.samples.scored)).toEqual(endorsements.map(() => CHATS_PER_AGENT));
    expect(endorsementViews.map((v) => v.samples.critical)).toEqual(endorsements.map(() => 0));
    const scoredEntries = await inParallel(
      CONCURRENCY,
      endorsements.map((e) => () => provenanceCount(`endorsement:${e.endorsementId}`, 'endorsement.shadow_scored')),
    );
    expect(scoredEntries).toEqual(endorsements.map(() => CHATS_PER_AGENT));

    // No vote lost or counted twice: two vote rows, both approvers in the outcome, applied once.
    expect(reviewViews.map((v) => v.votes.map((x: { principal: string }) => x.principal).sort())).toEqual(
      reviews.map(() => [names.revA, names.revB].sort()),
    );
    const applied = await inParallel(
      CONCURRENCY,
      reviews.map((r) => () => provenanceCount(`review:${r.reviewId}`, 'review.applied')),
    );
    expect(applied).toEqual(reviews.map(() => 1));

    // Each ABP: one patch applied (two versions, never three), the same chain, exports and
    // verification from both API processes.
    const abpViews = await inParallel(
      CONCURRENCY,
      reviews.map((r) => async () => {
        const [a, b] = await Promise.all(
          [0, 1].map((api) => client.call(api, 'GET', `/api/v1/abps/${r.abpId}`, names.admin)),
        );
        const [va, vb] = await Promise.all(
          [0, 1].map((api) => client.call(api, 'GET', `/api/v1/abps/${r.abpId}/verify`, names.admin)),
        );
        return { a: a!.body, b: b!.body, va: va!.body, vb: vb!.body };
      }),
    );
    expect(abpViews.map((v) => v.a.versions.length)).toEqual(reviews.map(() => 2));
    expect(abpViews.map((v) => JSON.stringify(v.a))).toEqual(abpViews.map((v) => JSON.stringify(v.b)));
    expect(abpViews.map((v) => v.va.ok && v.vb.ok && v.va.abpHash === v.vb.abpHash)).toEqual(reviews.map(() => true));
    const exportCount = abpViews.reduce((n, v) => n + v.a.exports.length, 0);

    // Each proposal released once.
    const released = await inParallel(
      CONCURRENCY,
      proposals.map((p) => () => provenanceCount(`proposal:${p.proposalId}`, 'guard.proposal.released')),
    );
    expect(released).toEqual(proposals.map(() => 1));

    // The provenance chain verifies from both API processes, against the anchor in Temporal.
    const verified = await Promise.all(
      [0, 1].map((api) => client.call(api, 'GET', '/api/v1/provenance/verify', names.admin)),
    );
    expect(verified.map((v) => v.body.ok)).toEqual([true, true]);
    expect(killed).toHaveLength(KILLS);
    expect(exitedUnexpectedly).toBeUndefined();

    log(
      [
        'fleet run:',
        `  processes            3 workers, 2 API processes, Temporal ${fleet.temporalAddress} (SQL visibility)`,
        `  workers killed       ${killed.length} (SIGKILL, restarted each time; workers ${killed.map((k) => k + 1).join(',')})`,
        `  endorsements         ${endorsementViews.length} promoted; ${endorsements.length * CHATS_PER_AGENT} chats, ${endorsementViews.reduce((n, v) => n + v.samples.scored, 0)} shadow samples, ${scoredEntries.reduce((a, b) => a + b, 0)} shadow_scored entries`,
        `  reviews              ${reviewViews.length} applied; ${reviewViews.reduce((n, v) => n + v.votes.length, 0)} votes, ${applied.reduce((a, b) => a + b, 0)} review.applied entries, ${abpViews.reduce((n, v) => n + v.a.versions.length, 0)} ABP versions, ${exportCount} exports identical on both APIs`,
        `  proposals            ${proposalViews.length} released; ${released.reduce((a, b) => a + b, 0)} guard.proposal.released entries`,
        `  provenance verify    ok on both API processes (${verified[0]!.body.entries ?? verified[0]!.body.checked ?? '?'} entries)`,
        `  client retries       ${client.retries} (5xx or dropped connection, retried); chats whose shadow wait timed out: ${shadowWaitsTimedOut}`,
        `  time                 ${Math.round((driven - started) / 1000)} s driving, ${Math.round((Date.now() - driven) / 1000)} s settling and checking`,
      ].join('\n'),
    );
  });
});
