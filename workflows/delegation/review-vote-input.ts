import { REVIEW_OUTPUT_KINDS } from '../../domain/delegation/review-output-kinds';
import type { ReviewOutputKind } from '../../domain/delegation/review-output-kind';

/**
 * The review Updates' inputs and the workflow's own check of them, without zod: every review run
 * evaluates its modules afresh (the SDK gives each run a module cache of its own), and zod was most
 * of what a review run evaluated and kept. The contract's zod schemas (approveInputSchema,
 * dismissInputSchema) stay the boundary's; both read the rules below, and a unit test holds them to
 * the same refusals, word for word.
 */

export interface ApproveInput {
  principal: string;
  outputKind: ReviewOutputKind;
  /** Canonical hash of the output document, stored beforehand by the client. */
  outputHash: string;
  reason: string;
}
export interface DismissInput {
  principal: string;
  reason: string;
}

/** The refusal of a missing or empty principal or reason. */
export const REQUIRED = 'required';
export const OUTPUT_HASH = 'must look like sha256:<64 hex>';
export const OUTPUT_HASH_PATTERN = /^sha256:[a-f0-9]{64}$/;
/** zod's words for a value outside an enum, which the boundary's schema gives. */
const OUTPUT_KIND = `Invalid option: expected one of ${REVIEW_OUTPUT_KINDS.map((k) => JSON.stringify(k)).join('|')}`;

export interface InputIssue {
  path: string[];
  message: string;
}

type Rule = (value: unknown) => string | null;
const principal: Rule = (v) => (typeof v === 'string' && v.length >= 1 ? null : REQUIRED);
const reason: Rule = (v) => (typeof v === 'string' && v.trim() !== '' ? null : REQUIRED);
const outputKind: Rule = (v) => ((REVIEW_OUTPUT_KINDS as readonly unknown[]).includes(v) ? null : OUTPUT_KIND);
const outputHash: Rule = (v) => (typeof v === 'string' && OUTPUT_HASH_PATTERN.test(v) ? null : OUTPUT_HASH);

/** Each field's issue, in the fields' order (zod's object order), or the input's if it is no object. */
function issuesOf(input: unknown, rules: Record<string, Rule>): InputIssue[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    const received = input === null ? 'null' : Array.isArray(input) ? 'array' : typeof input;
    return [{ path: [], message: `Invalid input: expected object, received ${received}` }];
  }
  const fields = input as Record<string, unknown>;
  return Object.entries(rules).flatMap(([field, rule]) => {
    const message = rule(fields[field]);
    return message === null ? [] : [{ path: [field], message }];
  });
}

export const approveInputIssues = (input: unknown): InputIssue[] =>
  issuesOf(input, { principal, outputKind, outputHash, reason });
export const dismissInputIssues = (input: unknown): InputIssue[] => issuesOf(input, { principal, reason });
