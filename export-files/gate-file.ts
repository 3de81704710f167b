import { readFile } from 'node:fs/promises';
import { gateExport, type GateResult } from '../domain/delegation/export-gates';

/** Reads an export file from disk and runs the gates on what is actually there. */
export async function gateFile(path: string, referenceHash: string): Promise<GateResult[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [{ gate: 'gate.abp_present', passed: false, detail: `file missing: ${path}` }];
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return [{ gate: 'gate.abp_json_valid', passed: false, detail: (error as Error).message }];
  }
  return gateExport(doc, referenceHash);
}
