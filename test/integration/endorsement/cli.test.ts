import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { showEndorsement } from '../../../client/endorsement';
import { cliEnv, runCli, expectRefused } from '../../support/cli';
import { useIntegrationContext } from '../../support/integration';
import { admin, eventually, HARMFUL, operator, SEED_RULE } from './helpers';

const ctx = useIntegrationContext('endorsement-cli');

// Each case runs several CLI processes, each starting Node and tsx: slow on a loaded machine.
describe('warden CLI for the endorsement loop', { timeout: 300_000 }, () => {
  it('reproduces the seed scenario: create, endorse (pending off a terminal), decide stage, chat, automatic promotion', async () => {
    const env = cliEnv(ctx);
    const alice = await operator(ctx);
    const root = await admin(ctx);
    const agent = `cli-${randomBytes(3).toString('hex')}`;
    const created = await runCli(
      [
        'agent',
        'create',
        agent,
        '--as',
        root,
        '--kernel',
        'default',
        '--cooldown-base',
        '1',
        '--cooldown-max',
        '60',
        '--no-probe-penalty',
        '5',
        '--min-samples',
        '1',
        '--l3',
        '0.45',
        '--json',
      ],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.json.agent.settings).toMatchObject({
      cooldownBaseSeconds: 1,
      noProbePenaltySeconds: 5,
      minSamples: 1,
      thresholds: { l1: 0.15, l2: 0.3, l3: 0.45 },
    });

    const endorsed = await runCli(['endorse', agent, SEED_RULE, '--as', alice, '--json'], env);
    expect(endorsed.code, endorsed.stderr).toBe(0);
    expect(endorsed.json).toMatchObject({
      state: 'pending',
      conflict: { kind: 'commitment', target: 'harm_avoidance_level' },
    });
    const id = endorsed.json.endorsementId as string;

    const noPrincipal = await runCli(['decide', id, 'stage', '--json'], { ...env, WARDEN_PRINCIPAL: '' });
    expectRefused(noPrincipal, 2, /--as/);

    const staged = await runCli(['decide', id, 'stage', '--as', alice, '--json'], env);
    expect(staged.code, staged.stderr).toBe(0);
    expect(staged.json.state).toBe('staged');

    const chatted = await runCli(['chat', agent, 'What is the capital of France?', '--wait-shadow', '--json'], env);
    expect(chatted.code, chatted.stderr).toBe(0);
    expect(chatted.json.content).toMatch(/Paris/);
    expect(chatted.json.sandboxDivergence).toBe(0);

    await eventually(
      () => showEndorsement(ctx, id),
      (e) => e.state === 'promoted',
    );
    const shown = await runCli(['endorsement', 'show', id, '--json'], env);
    expect(shown.json).toMatchObject({ state: 'promoted', samples: { scored: 1, meanDivergence: 0 } });
    const kernel = await runCli(['kernel', 'show', agent, '--json'], env);
    expect(kernel.json.version).toBe(2);
    expect(kernel.json.kernel.commitments).toContainEqual(
      expect.objectContaining({ id: 'harm_avoidance_level', value: SEED_RULE }),
    );
  });

  it('stages with --decide and reports a critical shadow with exit code 1 and the live answer', async () => {
    const env = cliEnv(ctx);
    const alice = await operator(ctx);
    const root = await admin(ctx);
    const agent = `cli-${randomBytes(3).toString('hex')}`;
    expect((await runCli(['agent', 'create', agent, '--as', root, '--cooldown-base', '600', '--json'], env)).code).toBe(
      0,
    );
    const endorsed = await runCli(['endorse', agent, SEED_RULE, '--decide', 'stage', '--as', alice, '--json'], env);
    expect(endorsed.json.state).toBe('staged');
    const r = await runCli(['chat', agent, HARMFUL, '--wait-shadow', '--json'], env);
    expect(r.code).toBe(1);
    expect(r.json.content).toMatch(/can't help/i);
    expect(r.json.sandboxDivergence).toBeGreaterThanOrEqual(0.5);
    expect(r.json.critical.endorsementId).toBe(endorsed.json.endorsementId);
    const shown = await runCli(['endorsement', 'show', endorsed.json.endorsementId, '--json'], env);
    expect(shown.json.state).toBe('rejected');
  });

  it('asks for the decision on a terminal and stages on "s"', async () => {
    const env = cliEnv(ctx);
    const alice = await operator(ctx);
    const root = await admin(ctx);
    const agent = `cli-${randomBytes(3).toString('hex')}`;
    expect((await runCli(['agent', 'create', agent, '--as', root, '--cooldown-base', '600', '--json'], env)).code).toBe(
      0,
    );
    // `script` gives the CLI a pseudo-terminal, as a person at a shell would have.
    const bin = fileURLToPath(new URL('../../../bin/warden.js', import.meta.url));
    const quoted = [process.execPath, bin, 'endorse', agent, SEED_RULE, '--as', alice].map((a) => `'${a}'`).join(' ');
    const out = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
      const child = spawn('script', ['-qec', quoted, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (c: Buffer) => {
        text += c.toString();
        if (text.includes('[n] reject')) child.stdin.end('s\n');
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, text }));
    });
    expect(out.text).toContain('[Reflective Endorsement] Conflict Detected!');
    expect(out.text).toContain(`Rule: "${SEED_RULE}"`);
    expect(out.text).toContain('Conflicts with: harm_avoidance_level');
    expect(out.text).toMatch(/state\s+staged/);
    expect(out.code).toBe(0);
    const kernel = await runCli(['kernel', 'show', agent, '--json'], env);
    expect(kernel.json.openEndorsements).toEqual([
      expect.objectContaining({ target: 'harm_avoidance_level', state: 'staged' }),
    ]);
  });

  it('fails clearly on bad input', async () => {
    const env = cliEnv(ctx);
    const unknown = await runCli(['endorse', 'no-such-agent', SEED_RULE, '--as', 'alice', '--json'], env);
    expectRefused(unknown, 1, /agent "no-such-agent" not found/);
    const badFlag = await runCli(['agent', 'create', 'x-bad', '--min-samples', 'many', '--json'], env);
    expectRefused(badFlag, 2, /--min-samples/);
    const badDecision = await runCli(
      ['decide', 'endorsement-x-20260101t000000-abcd', 'maybe', '--as', 'alice', '--json'],
      env,
    );
    expectRefused(badDecision, 2, /approve, stage or reject/);
  });
});
