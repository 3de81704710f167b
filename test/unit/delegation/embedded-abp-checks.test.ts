import { describe, expect, it } from 'vitest';
import { demoAbpSpec, DEMO_CLOCK } from '../../../demo/delegation-abp';
import { buildAbp } from '../../../domain/delegation/build';
import { gateExport, gateExportText, type GateResult } from '../../../domain/delegation/export-gates';

const failed = (gates: GateResult[]) => gates.filter((g) => !g.passed).map((g) => g.gate);

function exportOf(abp: unknown, module = 'M1') {
  return { export_id: 'x', module, stamp: 1, stamped_at: DEMO_CLOCK, status: 'active' as const, abp };
}

describe('the gates of exports that embed the same ABP (checked once per ABP text)', () => {
  const abp = buildAbp(demoAbpSpec(), DEMO_CLOCK);
  const module = abp.scope.modules[0]!;

  it('give every export the same gates, in memory and as stored text, each its own copy', () => {
    const inMemory = gateExport(exportOf(abp, module), abp.hash);
    const asText = gateExportText(JSON.stringify(exportOf(abp, module)), 'db', abp.hash);
    expect(failed(inMemory)).toEqual([]);
    expect(asText).toEqual(inMemory);
    expect(inMemory.map((g) => g.gate)).toEqual([
      'gate.abp_present',
      'gate.abp_schema_valid',
      'gate.abp_hash_integrity',
      'gate.abp_id_deterministic',
      'gate.abp_no_contradictions',
      'gate.abp_ref_match',
      'gate.module_in_scope',
    ]);
    inMemory[2]!.passed = false;
    expect(failed(gateExport(exportOf(abp, module), abp.hash))).toEqual([]);
  });

  it('check an ABP changed in place afresh: the same object with another hash fails its integrity gate', () => {
    const copy = JSON.parse(JSON.stringify(abp)) as typeof abp;
    expect(failed(gateExport(exportOf(copy, module), abp.hash))).toEqual([]);
    copy.hash = `${'0'.repeat(63)}1`;
    expect(failed(gateExport(exportOf(copy, module), abp.hash))).toEqual([
      'gate.abp_hash_integrity',
      'gate.abp_ref_match',
    ]);
  });

  it('still gate what is not the ABP per export (reference, module) and refuse an invalid ABP', () => {
    expect(failed(gateExport(exportOf(abp, 'NOT-A-MODULE'), abp.hash))).toEqual(['gate.module_in_scope']);
    expect(failed(gateExport(exportOf(abp, module), 'another-hash'))).toEqual(['gate.abp_ref_match']);
    expect(failed(gateExport(exportOf({ ...abp, tools: 'none' }, module), abp.hash))).toEqual([
      'gate.abp_schema_valid',
    ]);
  });
});
