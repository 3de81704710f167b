import { checkEmbeddedAbp } from './embedded-abp-checks';

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
  const checks = checkEmbeddedAbp(abpRaw);
  // Copies: the checks are shared by every export that embeds the same ABP.
  results.push(...checks.gates.map((g) => ({ ...g })));
  const abp = checks.abp;
  if (!abp) return results;
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
