import { describe, expect, it } from 'vitest';
import { ActionSchema, type ActionInput } from '../../../domain/abp/action';
import { demoAbp } from '../../../domain/abp/demo';
import { patchAbp } from '../../../domain/abp/patch';
import { checkAction, checkPeriodic, resourceMatches, type ActionFacts } from '../../../domain/abp/validators';

const abp = demoAbp();
const NOW = Date.parse('2026-06-01T00:00:00Z');
const facts = (over: Partial<ActionFacts> = {}): ActionFacts => ({
  abp,
  currentHash: abp.hash,
  revoked: false,
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
const failed = (f: ActionFacts, a = action()) => checkAction(f, a).results.filter((r) => !r.passed).map((r) => r.name);

describe('pre_action validators', () => {
  it('allow an action inside the envelope', () => {
    const verdict = checkAction(facts(), action());
    expect(verdict).toMatchObject({ decision: 'allowed', allowed: true, escalations: [] });
    expect(verdict.results.map((r) => r.name)).toEqual([
      'authority_envelope_complete', 'policy_hash_matches', 'abp_present_on_export', 'abp_hash_valid', 'drift_threshold',
    ]);
  });

  it('authority_envelope_complete blocks denied or unlisted objectives, tools and data operations', () => {
    expect(failed(facts(), action({ tool: 'email.send_external' }))).toEqual(['authority_envelope_complete']);
    expect(checkAction(facts(), action({ tool: 'email.send_external' })).decision).toBe('blocked');
    expect(failed(facts(), action({ objective: 'OBJ-900' }))).toEqual(['authority_envelope_complete']);
    expect(failed(facts(), action({ objective: 'OBJ-777' }))).toEqual(['authority_envelope_complete']);
    expect(failed(facts(), action({ data: [{ resource: 'candidates/42', operation: 'delete' }] }))).toEqual(['authority_envelope_complete']);
    expect(failed(facts(), action({ role: 'intern' }))).toEqual(['authority_envelope_complete']);
    expect(failed(facts(), action({ data: [{ resource: 'payroll/1', operation: 'read' }] }))).toEqual(['authority_envelope_complete']);
  });

  it('policy_hash_matches blocks a caller holding a superseded hash', () => {
    const patched = patchAbp(abp, { objectives: { ...abp.objectives, allowed: abp.objectives.allowed.slice(0, 3) } });
    expect(failed(facts({ currentHash: patched.hash, exports: [{ exportId: 'e', embeddedHash: patched.hash }] }))).toEqual(['policy_hash_matches']);
    expect(failed(facts({ currentHash: null, exports: [] }))).toEqual(['policy_hash_matches']);
  });

  it('abp_present_on_export blocks when an export lacks the current ABP or the named export is unknown', () => {
    expect(failed(facts({ exports: [{ exportId: 'hiring-ui', embeddedHash: null }] }))).toEqual(['abp_present_on_export']);
    expect(failed(facts({ exports: [{ exportId: 'hiring-ui', embeddedHash: 'sha256:old' }] }))).toEqual(['abp_present_on_export']);
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
    expect(verdict.escalations).toEqual([{ validator: 'drift_threshold', destination: 'governance-board', severity: 'critical' }]);
  });

  it('honours warn and degrade, and the strongest failing action decides', () => {
    const validators = abp.runtime.validators.map((v) =>
      v.name === 'authority_envelope_complete' ? { ...v, fail_action: 'warn' as const } : v.name === 'drift_threshold' ? { ...v, fail_action: 'degrade' as const } : v,
    );
    const relaxed = patchAbp(abp, { runtime: { validators } });
    const f = facts({ abp: relaxed, currentHash: relaxed.hash, exports: [{ exportId: 'e', embeddedHash: relaxed.hash }] });
    const send = action({ tool: 'email.send_external', abp_hash: relaxed.hash });
    expect(checkAction(f, send).decision).toBe('warned');
    expect(checkAction({ ...f, openDriftSignals: 9 }, send).decision).toBe('degraded');
    expect(checkAction({ ...f, openDriftSignals: 9 }, action({ abp_hash: `sha256:${'0'.repeat(64)}` })).decision).toBe('blocked');
  });

  it('blocks everything under a revoked or expired ABP, and fails unknown validators closed', () => {
    expect(checkAction(facts({ revoked: true }), action()).decision).toBe('blocked');
    expect(checkAction(facts({ now: Date.parse('2026-01-01T00:00:00Z') }), action()).decision).toBe('blocked');
    const odd = { ...abp, runtime: { validators: [{ name: 'mystery', when: 'pre_action' as const, fail_action: 'block' as const, config: {} }] } };
    expect(checkAction(facts({ abp: odd }), action()).results).toContainEqual(expect.objectContaining({ name: 'mystery', passed: false }));
  });

  it('the periodic pass runs only periodic validators, without an action', () => {
    expect(checkPeriodic(facts()).results.map((r) => [r.name, r.passed])).toEqual([['drift_threshold', true]]);
    const over = checkPeriodic(facts({ openDriftSignals: 7 }));
    expect(over).toMatchObject({ decision: 'escalated', escalations: [{ validator: 'drift_threshold', destination: 'governance-board' }] });
    const periodicEnvelope = patchAbp(abp, {
      runtime: { validators: [{ name: 'authority_envelope_complete', when: 'periodic', fail_action: 'block', config: {} }] },
    });
    expect(checkPeriodic(facts({ abp: periodicEnvelope })).results).toEqual([
      expect.objectContaining({ name: 'authority_envelope_complete', passed: true, detail: 'applies to checked actions only' }),
    ]);
  });

  it('matches resource prefix patterns', () => {
    expect(resourceMatches('candidates/*', 'candidates/1')).toBe(true);
    expect(resourceMatches('candidates/*', 'bids/1')).toBe(false);
    expect(resourceMatches('bids/1', 'bids/1')).toBe(true);
  });
});
