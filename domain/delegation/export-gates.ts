import { describeContradictions, findContradictions, hasContradictions } from './contradictions';
import { checkAbpIdentity } from './identity';
import { describeZodError } from '../input/field-issues';
import { AbpSchema, type Abp } from './schema';

/**
 * An export: an artifact that embeds an ABP (in the original, an HTML page with the ABP in a
 * script block; here a JSON document in PostgreSQL or in the export directory, see export-sink.ts). Re-stamping rewrites it with the
 * new ABP; the gates decide whether the stamped artifact may ship.
 */
export interface ExportDocument {
  export_id: string;
  module: string;
  stamp: number;
  stamped_at: string;
  status: 'active' | 'revoked';
  abp: unknown;
}

export interface GateResult {
  gate: string;
  passed: boolean;
  detail: string;
}

/**
 * The gates, after the original gate_abp.py: ABP present and valid, hash integrity, id
 * determinism, no contradictions, reference match (the embedded hash is the one that should be
 * current) and the export's module inside the ABP's scope.
 */
export function gateExport(doc: unknown, referenceHash: string): GateResult[] {
  const results: GateResult[] = [];
  const abpRaw = typeof doc === 'object' && doc !== null ? (doc as Partial<ExportDocument>).abp : undefined;
  if (abpRaw === undefined || abpRaw === null)
    return [{ gate: 'gate.abp_present', passed: false, detail: 'no ABP embedded' }];
  results.push({ gate: 'gate.abp_present', passed: true, detail: 'ABP embedded' });
  const parsed = AbpSchema.safeParse(abpRaw);
  if (!parsed.success) {
    results.push({
      gate: 'gate.abp_schema_valid',
      passed: false,
      detail: describeZodError(parsed.error, { whole: '(document)' }),
    });
    return results;
  }
  const abp: Abp = parsed.data;
  results.push({ gate: 'gate.abp_schema_valid', passed: true, detail: 'ABP v1 schema' });
  const identity = checkAbpIdentity(abp);
  results.push({
    gate: 'gate.abp_hash_integrity',
    passed: identity.hashMatches,
    detail: identity.hashMatches ? 'hash recomputed' : `embedded ${abp.hash}, recomputed ${identity.expectedHash}`,
  });
  results.push({
    gate: 'gate.abp_id_deterministic',
    passed: identity.idMatches,
    detail: identity.idMatches ? 'id recomputed' : `embedded ${abp.abp_id}, recomputed ${identity.expectedId}`,
  });
  const contradictions = findContradictions(abp);
  results.push({
    gate: 'gate.abp_no_contradictions',
    passed: !hasContradictions(contradictions),
    detail: hasContradictions(contradictions) ? describeContradictions(contradictions) : 'no contradictions',
  });
  results.push({
    gate: 'gate.abp_ref_match',
    passed: abp.hash === referenceHash,
    detail: abp.hash === referenceHash ? 'matches the current ABP' : `embedded ${abp.hash}, current ${referenceHash}`,
  });
  const module = (doc as Partial<ExportDocument>).module;
  const inScope = typeof module === 'string' && abp.scope.modules.includes(module);
  results.push({
    gate: 'gate.module_in_scope',
    passed: inScope,
    detail: inScope ? `${module} in scope` : `${String(module)} not in scope (${abp.scope.modules.join(', ')})`,
  });
  return results;
}

/** The gates on an export as its sink gives it back: missing, not JSON, or the document's gates. */
export function gateExportText(text: string | undefined, where: string, referenceHash: string): GateResult[] {
  if (text === undefined) return [{ gate: 'gate.abp_present', passed: false, detail: `export missing: ${where}` }];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return [{ gate: 'gate.abp_json_valid', passed: false, detail: (error as Error).message }];
  }
  return gateExport(doc, referenceHash);
}
