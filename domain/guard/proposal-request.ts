import { INT4_MAX } from '../input/int4-range';
import { KEY_TEXT_BYTES, textStorageProblem } from '../input/text-storage';
import { describeCredentialFinding, findCredentials } from './dataset-uri';
import { checkIdentifier } from './identifier-rules';
import { isUnit, notANumber, notInUnitInterval } from './unit-rules';

/**
 * A proposal's request (calibration or LoRA training) and its check, without zod: the proposal
 * workflow checks the request it was started with again (a workflow started by other means must
 * not gate on out-of-range numbers or a credential-carrying URI), and every workflow run evaluates
 * the modules it imports afresh. The boundary's zod schemas (proposal-request-schemas.ts) read the
 * same rules and messages; a unit test holds the two to the same result for each input: the same
 * request, defaults filled and text trimmed, or the same refusals in the same order.
 */

export const DEFAULT_MIN_FEEDBACK = 32;
export const DEFAULT_MAX_INTERVAL_WIDTH = 0.1;
export const DEFAULT_MIN_IMPROVEMENT = 0;

export interface CalibrationRequest {
  current_threshold: number;
  candidate_threshold: number;
  confidence_low: number;
  confidence_high: number;
  rollback_id: string;
  min_feedback: number;
  max_interval_width: number;
}

export interface LoraRequest {
  dataset_uri: string;
  base_model_ref: string;
  rollback_id: string;
  heldout_score: number;
  baseline_score: number;
  min_improvement: number;
  min_feedback: number;
}

export const isNonNegative = (v: number) => Number.isFinite(v) && v >= 0;
export const MIN_FEEDBACK = {
  notANumber: notANumber('min_feedback'),
  notWhole: 'min_feedback must be a whole number',
  notPositive: 'min_feedback must be positive',
  tooLarge: `min_feedback must be at most ${INT4_MAX}`,
} as const;
export const MIN_IMPROVEMENT_NEGATIVE = 'min_improvement must be finite and non-negative';
export const DATASET_URI_REQUIRED = 'dataset_uri is required';
export const DATASET_URI_SPACES = 'dataset_uri must not contain spaces';
export const CONFIDENCE_ORDER = 'confidence_low must be <= confidence_high';

export interface RequestIssue {
  path: string[];
  message: string;
}

export type RequestCheck<T> = { ok: true; value: T } | { ok: false; issues: RequestIssue[] };

/**
 * One field's rule: its value once read (a default filled, text trimmed), its refusals, and whether
 * a refusal stops the checks of the whole request (zod's aborting issues: a value of the wrong type).
 */
type Field = (value: unknown) => { value: unknown; issues: string[]; aborts: boolean };

// A refusal that does not abort keeps the value: the request's own rule (the order of the
// confidence bounds) still looks at it, as zod's refinement does.
const read = (value: unknown, issues: string[] = []) => ({ value, issues, aborts: false });
const wrongType = (issue: string) => ({ value: undefined, issues: [issue], aborts: true });
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

const withDefault =
  (fallback: unknown, field: Field): Field =>
  (v) =>
    v === undefined ? read(fallback) : field(v);

const unit =
  (what: string): Field =>
  (v) => {
    if (!isNumber(v)) return wrongType(notANumber(what));
    return read(v, isUnit(v) ? [] : [notInUnitInterval(what)]);
  };

const identifierField =
  (what: string): Field =>
  (v) => {
    const checked = checkIdentifier(what, v);
    return { value: checked.value, issues: checked.issues, aborts: typeof v !== 'string' };
  };

const minFeedback: Field = (v) => {
  if (!isNumber(v)) return wrongType(MIN_FEEDBACK.notANumber);
  if (!Number.isInteger(v)) return wrongType(MIN_FEEDBACK.notWhole);
  const issues: string[] = [];
  if (!Number.isSafeInteger(v)) issues.push(MIN_FEEDBACK.notWhole);
  if (!(v > 0)) issues.push(MIN_FEEDBACK.notPositive);
  if (v > INT4_MAX) issues.push(MIN_FEEDBACK.tooLarge);
  return read(v, issues);
};

const minImprovement: Field = (v) => {
  if (!isNumber(v)) return wrongType(notANumber('min_improvement'));
  return read(v, isNonNegative(v) ? [] : [MIN_IMPROVEMENT_NEGATIVE]);
};

// The credential check comes before the rest, as in the original: a URI with a secret is refused
// for that, whatever else is wrong with it.
export function credentialProblem(uri: string): string | undefined {
  const finding = findCredentials(uri);
  return finding ? describeCredentialFinding(finding) : undefined;
}

export function datasetUriShapeProblem(uri: string): string | undefined {
  if (uri.trim() === '') return DATASET_URI_REQUIRED;
  if (/\s/.test(uri.trim())) return DATASET_URI_SPACES;
  return undefined;
}

const datasetUri: Field = (v) => {
  if (typeof v !== 'string') return wrongType(DATASET_URI_REQUIRED);
  return read(
    v.trim(),
    [textStorageProblem(v, KEY_TEXT_BYTES), credentialProblem(v) ?? datasetUriShapeProblem(v)].filter(
      (p) => p !== undefined,
    ),
  );
};

/** The request's fields in order, each read by its rule; unknown keys refused, as a strict object does. */
function checkObject<T>(
  input: unknown,
  fields: Record<keyof T & string, Field>,
): { value: T; issues: RequestIssue[]; aborts: boolean } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    const received = input === null ? 'null' : Array.isArray(input) ? 'array' : typeof input;
    const message = `Invalid input: expected object, received ${received}`;
    return { value: {} as T, issues: [{ path: [], message }], aborts: true };
  }
  const source = input as Record<string, unknown>;
  const value: Record<string, unknown> = {};
  const issues: RequestIssue[] = [];
  let aborts = false;
  for (const [name, field] of Object.entries<Field>(fields)) {
    const checked = field(source[name]);
    value[name] = checked.value;
    issues.push(...checked.issues.map((message) => ({ path: [name], message })));
    aborts ||= checked.aborts;
  }
  const unknown: string[] = [];
  // for…in, as zod reads the keys (inherited enumerable ones included).
  for (const key in source) if (!(key in fields)) unknown.push(key);
  if (unknown.length > 0) {
    const names = unknown.map((k) => JSON.stringify(k)).join(', ');
    issues.push({ path: [], message: `Unrecognized key${unknown.length > 1 ? 's' : ''}: ${names}` });
  }
  return { value: value as T, issues, aborts };
}

export function checkCalibrationRequest(input: unknown): RequestCheck<CalibrationRequest> {
  const checked = checkObject<CalibrationRequest>(input, {
    current_threshold: unit('current_threshold'),
    candidate_threshold: unit('candidate_threshold'),
    confidence_low: unit('confidence_low'),
    confidence_high: unit('confidence_high'),
    rollback_id: identifierField('rollback_id'),
    min_feedback: withDefault(DEFAULT_MIN_FEEDBACK, minFeedback),
    max_interval_width: withDefault(DEFAULT_MAX_INTERVAL_WIDTH, unit('max_interval_width')),
  });
  const request = checked.value;
  // The order of the bounds is looked at only when every field has a value of its type.
  if (!checked.aborts && !(request.confidence_low <= request.confidence_high))
    checked.issues.push({ path: ['confidence_low'], message: CONFIDENCE_ORDER });
  return checked.issues.length === 0 ? { ok: true, value: request } : { ok: false, issues: checked.issues };
}

export function checkLoraRequest(input: unknown): RequestCheck<LoraRequest> {
  const checked = checkObject<LoraRequest>(input, {
    dataset_uri: datasetUri,
    base_model_ref: identifierField('base_model_ref'),
    rollback_id: identifierField('rollback_id'),
    heldout_score: unit('heldout_score'),
    baseline_score: unit('baseline_score'),
    min_improvement: withDefault(DEFAULT_MIN_IMPROVEMENT, minImprovement),
    min_feedback: withDefault(DEFAULT_MIN_FEEDBACK, minFeedback),
  });
  return checked.issues.length === 0 ? { ok: true, value: checked.value } : { ok: false, issues: checked.issues };
}
