import { z } from 'zod';
import { canonicalJson } from '../canonical-json';
import { KEY_TEXT_BYTES, LINE_TEXT_BYTES, storableText } from '../input/storable-text';
import { sha256Hex } from '../non-workflow/sha256';
import { normaliseDateTime } from './utc-date-time';
import { describeZodError } from '../input/field-issues';
import { INGEST_PHASES, type ProgressCallback } from '../progress';
import { INTAKE_KINDS, type IntakeKind } from './intake-kinds';

export { INTAKE_KINDS, type IntakeKind };

/**
 * Evidence the triggers count: drift signals (8 types), coherence runs (score 0–100) and
 * claims/assumptions with an expiry. Rows without an id get one derived from their content, so
 * ingesting the same file twice stores nothing new.
 */
export const DRIFT_TYPES = [
  'time',
  'freshness',
  'fallback',
  'bypass',
  'verify',
  'outcome',
  'fanout',
  'contention',
] as const;

// Also refused: what the format accepts but no calendar or column holds (year 0000, past 9999 in UTC).
const dateTime = z.iso.datetime({ offset: true }).transform((v, ctx) => {
  const utc = normaliseDateTime(v);
  if (utc === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be a date-time in the years 0001 to 9999 (UTC)' });
    return z.NEVER;
  }
  return utc;
});
const abpId = z.string().regex(/^ABP-[a-f0-9]{8}$/, 'must look like ABP-<8 hex>');
const rowId = storableText(KEY_TEXT_BYTES).min(1).max(200);
const text = (max: number) => storableText(LINE_TEXT_BYTES).max(max);

export const DriftSignalSchema = z.strictObject({
  kind: z.literal('drift_signal').optional(),
  signal_id: rowId.optional(),
  abp_id: abpId,
  type: z.enum(DRIFT_TYPES),
  severity: z.enum(['green', 'yellow', 'red']),
  fingerprint: z.strictObject({
    key: rowId,
    version: z.union([storableText(KEY_TEXT_BYTES).min(1).max(100), z.int()]),
  }),
  observed_at: dateTime,
  summary: text(1000).optional(),
});

export const CoherenceRunSchema = z.strictObject({
  kind: z.literal('coherence_run').optional(),
  run_id: rowId.optional(),
  abp_id: abpId,
  score: z.number().min(0).max(100),
  observed_at: dateTime,
});

export const ClaimSchema = z.strictObject({
  kind: z.literal('claim').optional(),
  claim_id: rowId,
  abp_id: abpId,
  statement: text(1000).optional(),
  expires_at: dateTime,
  observed_at: dateTime.optional(),
});

export type DriftSignal = z.output<typeof DriftSignalSchema> & { signal_id: string };
export type CoherenceRun = z.output<typeof CoherenceRunSchema> & { run_id: string };
export type Claim = z.output<typeof ClaimSchema>;

export type IntakeRow =
  | { kind: 'drift_signal'; line: number; row: DriftSignal }
  | { kind: 'coherence_run'; line: number; row: CoherenceRun }
  | { kind: 'claim'; line: number; row: Claim };

export interface IntakeBatch {
  driftSignals: DriftSignal[];
  coherenceRuns: CoherenceRun[];
  claims: Claim[];
  /** abp_ids the batch touches: the triggers to re-evaluate afterwards. */
  abpIds: string[];
  /** The first line naming each abp_id, to point at when an ABP is refused. */
  abpLines: Record<string, number>;
  /** The line of each row, in the order of the row lists above, to point at when a row is refused. */
  lines: { driftSignals: number[]; coherenceRuns: number[]; claims: number[] };
}

export interface IntakeProblem {
  line: number;
  message: string;
}

/** One sentence for a refused batch, naming each problem's line. */
export function describeIntakeRefusal(problems: readonly IntakeProblem[]): string {
  return `batch refused, nothing written: ${problems.map((p) => `line ${p.line}: ${p.message}`).join('; ')}`;
}

export class IntakeBatchError extends Error {
  constructor(readonly problems: IntakeProblem[]) {
    super(describeIntakeRefusal(problems));
    this.name = 'IntakeBatchError';
  }
}

const MAX_REPORTED_PROBLEMS = 20;

/**
 * Parses an NDJSON batch. Each row names its kind, or `fileKind` gives it for every row. One bad
 * row refuses the whole batch; the error names each bad line and field. `onProgress` hears the
 * rows read so far.
 */
export function parseIntakeBatch(text: string, fileKind?: IntakeKind, onProgress?: ProgressCallback): IntakeBatch {
  const problems: { line: number; message: string }[] = [];
  const rows: IntakeRow[] = [];
  const lines = text.split(/\r?\n/);
  const total = lines.filter((raw) => raw.trim() !== '').length;
  let read = 0;
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    onProgress?.(++read, total, INGEST_PHASES.validating);
    if (problems.length >= MAX_REPORTED_PROBLEMS) return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      problems.push({ line, message: `not JSON (${(error as Error).message})` });
      return;
    }
    const parsed = parseRow(value, line, fileKind);
    if (typeof parsed === 'string') problems.push({ line, message: parsed });
    else rows.push(parsed);
  });
  if (problems.length > 0) throw new IntakeBatchError(problems);
  if (rows.length === 0) throw new IntakeBatchError([{ line: 1, message: 'no rows' }]);
  const distinct = distinctRows(rows);
  const abpLines: Record<string, number> = {};
  for (const r of distinct) abpLines[r.row.abp_id] ??= r.line;
  const signals = distinct.filter((r) => r.kind === 'drift_signal');
  const runs = distinct.filter((r) => r.kind === 'coherence_run');
  const claims = distinct.filter((r) => r.kind === 'claim');
  return {
    driftSignals: signals.map((r) => r.row),
    coherenceRuns: runs.map((r) => r.row),
    claims: claims.map((r) => r.row),
    abpIds: Object.keys(abpLines).sort(),
    abpLines,
    lines: {
      driftSignals: signals.map((r) => r.line),
      coherenceRuns: runs.map((r) => r.line),
      claims: claims.map((r) => r.line),
    },
  };
}

/** What identifies a row in its table: signal_id, run_id, or abp_id with claim_id. */
function rowKey(r: IntakeRow): string {
  switch (r.kind) {
    case 'drift_signal':
      return `signal_id ${r.row.signal_id}`;
    case 'coherence_run':
      return `run_id ${r.row.run_id}`;
    case 'claim':
      return `claim_id ${r.row.claim_id} of ${r.row.abp_id}`;
  }
}

/**
 * One row per id. An identical repeat (the same content, whether or not it says its kind) is
 * dropped, as re-sending a file is harmless; the same id with different content refuses the
 * batch, because storing either row would silently lose the other.
 */
function distinctRows(rows: IntakeRow[]): IntakeRow[] {
  const seen = new Map<string, { line: number; content: string }>();
  const kept: IntakeRow[] = [];
  const problems: { line: number; message: string }[] = [];
  for (const r of rows) {
    const key = rowKey(r);
    const { kind: _kind, ...content } = r.row as { kind?: string };
    const text = canonicalJson(content);
    const earlier = seen.get(key);
    if (!earlier) {
      seen.set(key, { line: r.line, content: text });
      kept.push(r);
    } else if (earlier.content !== text && problems.length < MAX_REPORTED_PROBLEMS) {
      problems.push({ line: r.line, message: `${key} repeats line ${earlier.line} with different content` });
    }
  }
  if (problems.length > 0) throw new IntakeBatchError(problems);
  return kept;
}

function parseRow(value: unknown, line: number, fileKind: IntakeKind | undefined): IntakeRow | string {
  const rowKind = typeof value === 'object' && value !== null ? (value as { kind?: unknown }).kind : undefined;
  if (rowKind !== undefined && !INTAKE_KINDS.includes(rowKind as IntakeKind)) {
    return `kind: expected one of ${INTAKE_KINDS.join(', ')}`;
  }
  if (rowKind !== undefined && fileKind !== undefined && rowKind !== fileKind) {
    return `kind: row says ${String(rowKind)} but the file is ${fileKind}`;
  }
  const kind = (rowKind as IntakeKind | undefined) ?? fileKind;
  if (kind === undefined) return `kind: required (one of ${INTAKE_KINDS.join(', ')}) unless the file kind is given`;
  const fail = (error: z.ZodError) => describeZodError(error, { whole: '(document)' });
  switch (kind) {
    case 'drift_signal': {
      const p = DriftSignalSchema.safeParse(value);
      if (!p.success) return fail(p.error);
      return { kind, line, row: { ...p.data, signal_id: p.data.signal_id ?? derivedId('DS', p.data) } };
    }
    case 'coherence_run': {
      const p = CoherenceRunSchema.safeParse(value);
      if (!p.success) return fail(p.error);
      return { kind, line, row: { ...p.data, run_id: p.data.run_id ?? derivedId('CR', p.data) } };
    }
    case 'claim': {
      const p = ClaimSchema.safeParse(value);
      if (!p.success) return fail(p.error);
      return { kind, line, row: p.data };
    }
  }
}

/**
 * Plain canonical JSON, not the ABP reference form: that one drops fractions of a second, and two
 * signals a moment apart are two signals.
 */
function derivedId(prefix: string, row: object): string {
  const { kind: _kind, ...content } = row as { kind?: string };
  return `${prefix}-${sha256Hex(canonicalJson(content)).slice(0, 16)}`;
}
