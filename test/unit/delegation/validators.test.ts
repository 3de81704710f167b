import { describe, expect, it } from 'vitest';
import { ActionSchema, type ActionInput } from '../../../domain/delegation/action';
import { demoAbp } from '../../../demo/delegation-abp';
import { patchAbp } from '../../../domain/delegation/patch';
import { checkAction, checkPeriodic, resourceMatches, type ActionFacts } from '../../../domain/delegation/validators';

const abp = demoAbp();
const NOW = Date.parse('2026-06-01T00:00:00Z');
const facts = (over: Partial<ActionFacts> = {}): ActionFacts => ({
  abp,
  currentHash: abp.hash,
  status: 'active',
  exports: [{ exportId: 'hiring-ui', embeddedHash: abp.hash }],
  openDriftSignals: 0,
  now: NOW,
  ...over,
});
const action = (over: Partial<ActionInput> = {}) =>
  ActionSchema.parse({
    abp_hash: abp.hash,
    objective: 'OBJ-001',
    tool: 'ats.read',
    data: [{ resource: 'candidates/42', operation: 'read' }],
    role: 'agent',
    irreversible: false,
    ...over,
  });
const failed = (f: ActionFacts, a = action()) =>
  checkAction(f, a)
    .results.filter((r) => !r.passed)
    .map((r) => r.name);

describe('pre_action validators', () => {
  it('allow an action inside the envelope', () => {
    const verdict = checkAction(facts(), action());
    expect(verdict).toMatchObject({ decision: 'allowed', allowed: true, escalations: [] });
    expect(verdict.results.map((r) => r.name)).toEqual([
      'authority_envelope_complete',
      'policy_hash_matches',
      'abp_present_on_export',
      'abp_hash_valid',
      'drift_threshold',
    ]);
  });

  it('authority_envelope_complete blocks denied or unlisted objectives, tools and data operations', () => {
    expect(failed(facts(), action({ tool: 'email.send_external' }))).toEqual(['authority_envelope_complete']);
    expect(checkAction(facts(), action({ tool: 'email.send_external' })).decision).toBe('blocked');
    expect(failed(facts(), action({ objective: 'OBJ-900' }))).toEqual(['authority_envelope_complete']);
    expect(failed(facts(), action({ objective: 'OBJ-777' }))).toEqual(['authority_envelope_complete']);
    expect(failed(facts(), action({ data: [{ resource: 'candidates/42', operation: 'delete' }] }))).toEqual([
      'authority_envelope_complete',
    ]);
    expect(failed(facts(), action({ role: 'intern' }))).toEqual(['authority_envelope_complete']);
    expect(failed(facts(), action({ data: [{ resource: 'payroll/1', operation: 'read' }] }))).toEqual([
      'authority_envelope_complete',
    ]);
  });

  it('policy_hash_matches blocks a caller holding a superseded hash', () => {
    const patched = patchAbp(abp, { objectives: { ...abp.objectives, allowed: abp.objectives.allowed.slice(0, 3) } });
    expect(
      failed(facts({ currentHash: patched.hash, exports: [{ exportId: 'e', embeddedHash: patched.hash }] })),
    ).toEqual(['policy_hash_matches']);
    expect(failed(facts({ currentHash: null, exports: [] }))).toEqual(['policy_hash_matches']);
  });

  it('abp_present_on_export blocks when an export lacks the current ABP or the named export is unknown', () => {
    expect(failed(facts({ exports: [{ exportId: 'hiring-ui', embeddedHash: null }] }))).toEqual([
      'abp_present_on_export',
    ]);
    expect(failed(facts({ exports: [{ exportId: 'hiring-ui', embeddedHash: 'sha256:old' }] }))).toEqual([
      'abp_present_on_export',
    ]);
    expect(failed(facts(), action({ export_id: 'nope' }))).toEqual(['abp_present_on_export']);
    expect(failed(facts(), action({ export_id: 'hiring-ui' }))).toEqual([]);
  });

  it('abp_hash_valid blocks a tampered stored ABP', () => {
    const tampered = { ...abp, tools: { ...abp.tools, deny: [] } };
    expect(failed(facts({ abp: tampered }))).toEqual(['abp_hash_valid']);
  });

  it('drift_threshold escalates above max_ds 6 and fires the escalation path', () => {
    expect(failed(facts({ openDriftSignals: 6 }))).toEqual([]);
    const verdict = checkAction(facts({ openDriftSignals: 7 }), action());
    expect(verdict).toMatchObject({ decision: 'escalated', allowed: true });
    expect(verdict.escalations).toEqual([
      { validator: 'drift_threshold', destination: 'governance-board', severity: 'critical' },
    ]);
  });

  it('honours warn and degrade, and the strongest failing action decides', () => {
    const validators = abp.runtime.validators.map((v) =>
      v.name === 'abp_present_on_export'
        ? { ...v, fail_action: 'warn' as const }
        : v.name === 'drift_threshold'
          ? { ...v, fail_action: 'degrade' as const }
          : v,
    );
    const relaxed = patchAbp(abp, { runtime: { validators } });
    const f = facts({ abp: relaxed, currentHash: relaxed.hash, exports: [{ exportId: 'e', embeddedHash: abp.hash }] });
    const read = action({ abp_hash: relaxed.hash });
    expect(checkAction(f, read).decision).toBe('warned');
    expect(checkAction({ ...f, openDriftSignals: 9 }, read).decision).toBe('degraded');
    expect(checkAction({ ...f, openDriftSignals: 9 }, action({ abp_hash: `sha256:${'0'.repeat(64)}` })).decision).toBe(
      'blocked',
    );
  });

  it('blocks everything under a revoked or expired ABP, and fails unknown validators closed', () => {
    expect(checkAction(facts({ status: 'revoked' }), action()).decision).toBe('blocked');
    expect(checkAction(facts({ now: Date.parse('2026-01-01T00:00:00Z') }), action()).decision).toBe('blocked');
    const odd = {
      ...abp,
      runtime: {
        validators: [{ name: 'mystery', when: 'pre_action' as const, fail_action: 'block' as const, config: {} }],
      },
    };
    expect(checkAction(facts({ abp: odd }), action()).results).toContainEqual(
      expect.objectContaining({ name: 'mystery', passed: false }),
    );
  });

  it('the periodic pass runs only periodic validators, without an action', () => {
    expect(checkPeriodic(facts()).results.map((r) => [r.name, r.passed])).toEqual([['drift_threshold', true]]);
    const over = checkPeriodic(facts({ openDriftSignals: 7 }));
    expect(over).toMatchObject({
      decision: 'escalated',
      escalations: [{ validator: 'drift_threshold', destination: 'governance-board' }],
    });
    const periodicEnvelope = patchAbp(abp, {
      runtime: {
        validators: [{ name: 'authority_envelope_complete', when: 'periodic', fail_action: 'block', config: {} }],
      },
    });
    expect(checkPeriodic(facts({ abp: periodicEnvelope })).results).toEqual([
      expect.objectContaining({
        name: 'authority_envelope_complete',
        passed: true,
        detail: 'applies to checked actions only',
      }),
    ]);
  });

  it('matches resource prefix patterns', () => {
    expect(resourceMatches('candidates/*', 'candidates/1')).toBe(true);
    expect(resourceMatches('candidates/*', 'bids/1')).toBe(false);
    expect(resourceMatches('bids/1', 'bids/1')).toBe(true);
  });
});

describe('built-in enforcement, whatever the ABP declares', () => {
  // Finding 4: with runtime.validators empty, a denied irreversible wire_transfer was allowed.
  const bare = patchAbp(abp, {
    tools: {
      allow: abp.tools.allow,
      deny: [...abp.tools.deny, { name: 'wire_transfer', reason: 'money leaves the company' }],
    },
    runtime: { validators: [] },
  });
  const bareFacts = (over: Partial<ActionFacts> = {}) =>
    facts({ abp: bare, currentHash: bare.hash, exports: [], ...over });
  const bareAction = (over: Partial<ActionInput> = {}) => action({ abp_hash: bare.hash, ...over });
  const blockedBy = (f: ActionFacts, a: ReturnType<typeof action>) => {
    const verdict = checkAction(f, a);
    return { decision: verdict.decision, failed: verdict.results.filter((r) => !r.passed).map((r) => r.name) };
  };

  it('blocks a denied tool, a denied objective and an unpermitted data operation with no validators declared', () => {
    expect(blockedBy(bareFacts(), bareAction({ tool: 'wire_transfer', irreversible: true }))).toEqual({
      decision: 'blocked',
      failed: ['authority_envelope_complete'],
    });
    expect(blockedBy(bareFacts(), bareAction({ objective: 'OBJ-900' }))).toEqual({
      decision: 'blocked',
      failed: ['authority_envelope_complete'],
    });
    expect(blockedBy(bareFacts(), bareAction({ data: [{ resource: 'candidates/42', operation: 'delete' }] }))).toEqual({
      decision: 'blocked',
      failed: ['authority_envelope_complete'],
    });
    const verdict = checkAction(bareFacts(), bareAction({ tool: 'wire_transfer' }));
    expect(verdict.results.find((r) => r.name === 'authority_envelope_complete')).toMatchObject({
      when: 'builtin',
      failAction: 'block',
    });
    expect(verdict.results.find((r) => !r.passed)?.detail).toMatch(
      /tool wire_transfer denied: money leaves the company/,
    );
    expect(checkAction(bareFacts(), bareAction()).decision).toBe('allowed');
  });

  it('blocks a stale hash, a superseded, replaced, revoked, expired or not yet effective ABP and a tampered one', () => {
    expect(blockedBy(bareFacts(), bareAction({ abp_hash: abp.hash }))).toEqual({
      decision: 'blocked',
      failed: ['policy_hash_matches'],
    });
    for (const status of ['superseded', 'replaced'] as const) {
      const verdict = checkAction(bareFacts({ status, currentHash: null }), bareAction());
      expect(verdict.decision).toBe('blocked');
      expect(verdict.results.find((r) => !r.passed)).toMatchObject({
        name: 'policy_hash_matches',
        detail: expect.stringContaining(`is ${status}`),
      });
    }
    expect(blockedBy(bareFacts({ status: 'revoked', currentHash: null }), bareAction()).failed).toContain(
      'abp_not_revoked',
    );
    expect(blockedBy(bareFacts({ now: Date.parse('2026-01-01T00:00:00Z') }), bareAction()).failed).toEqual([
      'abp_in_effect',
    ]);
    const expiring = patchAbp(bare, { expires_at: '2026-03-01T00:00:00Z' });
    expect(
      blockedBy(facts({ abp: expiring, currentHash: expiring.hash, exports: [] }), action({ abp_hash: expiring.hash }))
        .failed,
    ).toEqual(['abp_in_effect']);
    const tampered = { ...bare, tools: { ...bare.tools, deny: [] } };
    expect(blockedBy(bareFacts({ abp: tampered }), bareAction())).toEqual({
      decision: 'blocked',
      failed: ['abp_hash_valid'],
    });
  });

  it('declared validators add checks but cannot weaken the built-in ones', () => {
    const weakened = patchAbp(abp, {
      runtime: {
        validators: [
          { name: 'authority_envelope_complete', when: 'pre_action', fail_action: 'warn', config: {} },
          { name: 'policy_hash_matches', when: 'post_action', fail_action: 'warn', config: {} },
          { name: 'abp_hash_valid', when: 'pre_action', fail_action: 'degrade', config: {} },
        ],
      },
    });
    const f = facts({ abp: weakened, currentHash: weakened.hash, exports: [] });
    const denied = checkAction(f, action({ abp_hash: weakened.hash, tool: 'email.send_external' }));
    expect(denied.decision).toBe('blocked');
    expect(denied.results.find((r) => !r.passed)).toMatchObject({
      name: 'authority_envelope_complete',
      when: 'pre_action',
      failAction: 'block',
      detail: expect.stringMatching(/always enforced: blocks although warn is declared/),
    });
    expect(checkAction(f, action({ abp_hash: abp.hash })).decision).toBe('blocked');
    expect(
      checkAction(
        { ...f, abp: { ...weakened, tools: { ...weakened.tools, deny: [] } } },
        action({ abp_hash: weakened.hash }),
      ).decision,
    ).toBe('blocked');
    expect(checkAction(f, action({ abp_hash: weakened.hash })).decision).toBe('allowed');
  });

  it('an always-enforced check declared with escalate blocks and still fires its escalation path', () => {
    const escalating = patchAbp(abp, {
      escalation: {
        paths: [
          ...abp.escalation.paths,
          { trigger: 'authority_envelope_complete', destination: 'security-desk', severity: 'critical', auto: true },
        ],
      },
      runtime: {
        validators: [{ name: 'authority_envelope_complete', when: 'pre_action', fail_action: 'escalate', config: {} }],
      },
    });
    const f = facts({ abp: escalating, currentHash: escalating.hash, exports: [] });
    const denied = checkAction(f, action({ abp_hash: escalating.hash, tool: 'email.send_external' }));
    expect(denied).toMatchObject({ decision: 'blocked', allowed: false });
    expect(denied.results.find((r) => !r.passed)).toMatchObject({
      name: 'authority_envelope_complete',
      failAction: 'block',
      declaredFailAction: 'escalate',
    });
    expect(denied.escalations).toEqual([
      { validator: 'authority_envelope_complete', destination: 'security-desk', severity: 'critical' },
    ]);
    // Passing, it neither blocks nor escalates.
    expect(checkAction(f, action({ abp_hash: escalating.hash }))).toMatchObject({
      decision: 'allowed',
      escalations: [],
    });
  });
});
