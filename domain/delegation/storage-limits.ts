import { describeIssues } from '../input/field-issues';
import { isLookbackDays } from '../input/lookback-days';
import { JSON_DOCUMENT_BYTES, jsonStorageIssues } from '../input/storable-json';
import { INT4_MAX } from '../input/storable-int';
import { LINE_TEXT_BYTES } from '../input/storable-text';
import { isTimerMs } from '../input/timer-duration';
import type { Abp } from './schema';

/** A module name becomes part of an export id (at most 128 characters with the ABP id before it). */
export const MAX_MODULE_LENGTH = 100;

/**
 * What the ABP v1 schema does not bound but PostgreSQL, the export directory and Temporal do:
 * every string storable (no NUL, no lone surrogate, at most LINE_TEXT_BYTES), the document at most
 * JSON_DOCUMENT_BYTES, module names that fit an export id, timeouts a review timer can wait
 * (1 ms to 100 years), thresholds in int4 range, and drift_threshold's window a SQL interval can
 * hold. Checked with the ABP's other semantic rules, so a build, patch or replace is refused
 * with the field named instead of failing half-way through storing it.
 */
export function abpStorageProblems(abp: Abp): string[] {
  const problems = describeIssues(
    jsonStorageIssues(abp, { maxBytes: JSON_DOCUMENT_BYTES, maxStringBytes: LINE_TEXT_BYTES }),
    { whole: '(document)' },
  );
  abp.scope.modules.forEach((m, i) => {
    if (m.length > MAX_MODULE_LENGTH)
      problems.push(`scope.modules[${i}]: at most ${MAX_MODULE_LENGTH} characters (it names an export)`);
  });
  const timeout = (value: number | null, field: string) => {
    if (value !== null && !isTimerMs(value))
      problems.push(`${field}: must be null or between 1 and ${100 * 365 * 24 * 3600 * 1000} milliseconds (100 years)`);
  };
  const threshold = (value: number, field: string) => {
    if (value > INT4_MAX) problems.push(`${field}: must be at most ${INT4_MAX}`);
  };
  abp.approvals.required.forEach((a, i) => {
    timeout(a.timeout_ms, `approvals.required[${i}].timeout_ms`);
    threshold(a.threshold, `approvals.required[${i}].threshold`);
  });
  const policy = abp.delegation_review?.review_policy;
  if (policy) {
    timeout(policy.timeout_ms, 'delegation_review.review_policy.timeout_ms');
    threshold(policy.threshold, 'delegation_review.review_policy.threshold');
  }
  abp.runtime.validators.forEach((v, i) => {
    const days = v.config.window_days;
    if (days !== undefined && !isLookbackDays(days))
      problems.push(`runtime.validators[${i}].config.window_days: a whole number of days from 1 to 36525`);
  });
  return problems;
}
