import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestFeedback } from '../../../client/guard';
import { seedGuardDemo } from '../../../demo/guard';
import { runProcess } from '../../../toolchain/run-process';
import { cliEnv } from '../../support/cli';
import type { AddressInfo } from 'node:net';
import { createApiServer } from '../../../api/server';
import { createApiToken } from '../../../db/access/api-tokens';
import { addPrincipal } from '../../../db/access/principals';
import { useIntegrationContext } from '../../support/integration';
import { startModelStub, type ModelStub } from '../../../toolchain/model-stub';
import { buildUniqueAbp } from '../delegation/abp-fixtures';

/**
 * The seed documents' examples (examples/), each run as `npm run example -- <name>` runs it: a
 * process of its own on the public client, pointed at this file's stack. A database of its own,
 * so the guard example finds the demo's reviewed events (and one more, see below) as after a
 * first `npm start`.
 */
const ctx = useIntegrationContext('examples', { ownDatabase: true });
const root = fileURLToPath(new URL('../../../', import.meta.url));
// The AI SDK example's agent talks to its own model (the local stub) and to Warden's HTTP API.
let stub: ModelStub;
beforeAll(async () => {
  stub = await startModelStub();
});
afterAll(() => stub?.close());

async function example(name: string, extra: Record<string, string> = {}) {
  // The cooldown of the staged-approval example, shortened from the document's 60 s.
  const env = cliEnv(ctx, { EXAMPLE_COOLDOWN_SECONDS: '2', ...extra });
  const r = await runProcess(process.execPath, ['bin/run.js', 'examples/run.ts', name], { env, cwd: root });
  return { ...r, lines: r.stdout.split('\n') };
}

const SLOW = 300_000;

describe('the seed documents run as written (examples/)', () => {
  it(
    'staged-approval: stages, shadows, promotes on evidence, and rejects on a critical divergence',
    async () => {
      const r = await example('staged-approval');
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toContain('Rule: "allow harmful content generation for research purposes"');
      expect(r.stdout).toContain('Conflicts with: harm_avoidance_level');
      expect(r.lines.filter((l) => l.startsWith('Live Response: '))).toHaveLength(3);
      expect(r.lines.filter((l) => l === 'Sandbox Divergence: 0.000')).toHaveLength(3);
      expect(r.stdout).toMatch(/Endorsement \S+: promoted \(3 samples, mean divergence 0\.000\)/);
      expect(r.stdout).toContain('Kernel version after promotion: 2');
      expect(r.stdout).toContain('harm_avoidance_level = allow harmful content generation for research purposes');
      expect(r.stdout).toMatch(/Staged update REJECTED due to drift: .*l3.* \(score (0\.[5-9]\d*|1\.000)\)/);
      expect(r.stdout).toMatch(/Live answer kept: .*can't help/i);
      expect(r.lines.filter((l) => /^Endorsement \S+: rejected$/.test(l))).toHaveLength(1);
    },
    SLOW,
  );

  it(
    'delegation-review: six blocked actions trip DRT-002, an approved patch re-stamps the exports and allows the action',
    async () => {
      const r = await example('delegation-review');
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toMatch(/^Built ABP-[a-f0-9]{8} sha256:[a-f0-9]{64}$/m);
      expect(r.lines.filter((l) => /^Action [1-6]: BLOCKED by authority_envelope_complete$/.test(l))).toHaveLength(6);
      expect(r.stdout).toContain('DRT-002 irreversible_action_blocked: tripped (6 > 5)');
      expect(r.stdout).toMatch(/^Review ABP-[a-f0-9]{8}\.DRT-002\.r1 \(critical\) opened by monitor$/m);
      expect(r.stdout).toMatch(/^Review \S+: applied$/m);
      expect(r.stdout).toMatch(/^Rebuilt ABP-[a-f0-9]{8} sha256:[a-f0-9]{64} \(same id, new hash: true\)$/m);
      expect(r.stdout).toContain('Exports re-stamped: 4/4');
      expect(r.stdout).toContain('Action 7: ALLOWED');
    },
    SLOW,
  );

  it(
    'guard-loop: the calibration example verbatim prints the payload; a credentialed dataset URI is refused; a rerun finds the same proposal',
    async () => {
      await seedGuardDemo(ctx);
      // Proposal ids come from the evidence, and every file shares one Temporal server: one more
      // reviewed event keeps this file's proposal apart from guard/demo.test.ts's (the demo's 40).
      const extra = {
        prompt: 'Demo question 41 about account recovery',
        response: 'Demo answer 41',
        label: 'safe',
        tenant_id: 'demo-tenant',
        metadata: { event_id: 'examples-evt-041', reviewer_id: 'reviewer-a' },
        timestamp: '2026-05-13T09:00:00Z',
      };
      await ingestFeedback(ctx, JSON.stringify(extra));
      const r = await example('guard-loop');
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toMatch(/^Proposal \S+: allow \(self_improvement_calibration_ready\)$/m);
      expect(r.stdout).toMatch(/^Manifest \S+: 41 reviewed events$/m);
      expect(r.stdout).toContain('Approved: true (review-20260513-002), submitted: false, promotion_status: proposed');
      const payload = JSON.parse(r.lines.find((l) => l.startsWith('Payload: '))!.slice('Payload: '.length));
      expect(payload).toMatchObject({ current_threshold: 0.55, candidate_threshold: 0.58 });
      expect(r.stdout).toMatch(/^Safety event sevt_\w+: allow at hook guard-loop\.example \(agent\)$/m);
      expect(r.stdout).toContain(
        'LoRA proposal refused: dataset_uri: dataset_uri must not contain embedded credentials',
      );

      const again = await example('guard-loop');
      expect(again.code, again.stderr).toBe(0);
      expect(again.lines.find((l) => l.startsWith('Proposal '))).toBe(r.lines.find((l) => l.startsWith('Proposal ')));
      expect(again.lines.find((l) => l.startsWith('Payload: '))).toBe(r.lines.find((l) => l.startsWith('Payload: ')));
    },
    SLOW,
  );

  it(
    'ai-sdk: the AI SDK agent behind the middleware gets the allowed tool call, a refusal for the denied one, and feeds the shadow',
    async () => {
      const abp = await buildUniqueAbp(ctx);
      // Warden's API, with a token of the examples' admin (the first admin of this database, or one more).
      await addPrincipal(ctx.pool, 'example-admin', ['admin']);
      const { token } = await createApiToken(ctx.pool, { principal: 'example-admin' });
      const server = createApiServer(ctx);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      afterAll(() => new Promise((resolve) => server.close(resolve)));
      for (const turn of ['Tell candidate 42 the outcome.', 'Tell candidate 43 the outcome.'])
        stub.script.push({
          when: turn,
          content: 'On it.',
          toolCalls: [{ name: 'ats.read' }, { name: 'email.send_external' }],
        });
      const r = await example('ai-sdk', {
        WARDEN_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        WARDEN_TOKEN: token,
        EXAMPLE_ABP: abp.abp_id,
        EXAMPLE_MODEL_BASE_URL: stub.baseUrl,
      });
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toMatch(/^Endorsement \S+: staged$/m);
      for (const api of ['generateText', 'streamText']) {
        expect(r.lines).toContain(`${api} tool calls: ats.read`);
        expect(r.stdout).toMatch(new RegExp(`^Warden denied tool call email\\.send_external: .*denied`, 'm'));
        expect(r.lines.some((l) => l.startsWith(`${api} text: On it.`))).toBe(true);
      }
      // The exchanges queued for the staged change's shadow are scored in the background. The live
      // answers come from the stub and the sandbox's from the embedded model, so the first shadow
      // answer diverges critically and rejects the change: a second exchange recorded before that
      // is queued and left pending, one recorded after is not queued at all.
      expect(r.stdout).toMatch(
        /^Shadow samples for \S+: (1 queued, 1 scored, 0|2 queued, 1 scored, 1) pending, 0 failed$/m,
      );
      expect(r.stdout).toMatch(/^Endorsement \S+ is now rejected: critical shadow divergence/m);
    },
    SLOW,
  );

  it('`npm run example` names the examples when given another name', async () => {
    const r = await example('no-such-example');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('one of: staged-approval, delegation-review, guard-loop, ai-sdk');
  });
});
