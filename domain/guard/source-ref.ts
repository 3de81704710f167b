import { WardenError } from '../errors';
import { FEEDBACK_LABELS, type FeedbackLabel } from './feedback-label';
import { identifier } from './identifiers';
import { parseInstant } from './utc-timestamp';

/*
 * A source ref selects reviewed feedback from the store:
 *
 *   feedback://<name>[?<param>=<value>[&…]]
 *
 *   <name>    a label for the selection (e.g. recent-reviewed); it names, it does not filter
 *   tenant    tenant id(s); repeat the parameter or separate with commas; default all
 *   label     safe|unsafe|false_positive|false_negative, repeatable/comma list; default all
 *   reviewer  reviewer id(s), repeatable/comma list; default all
 *   since     inclusive lower bound on the feedback timestamp
 *   until     exclusive upper bound
 *             (both: ISO-8601 with a zone, e.g. 2026-05-01T00:00:00Z, or a date
 *             YYYY-MM-DD meaning midnight UTC)
 *
 * Example: feedback://may-review?tenant=acme&label=unsafe,false_negative&since=2026-05-01
 * Unknown parameters, repeated since/until, since >= until and empty values are refused,
 * so a typo cannot silently widen the selection.
 */

export interface FeedbackSelection {
  name: string;
  tenants: string[];
  labels: FeedbackLabel[];
  reviewers: string[];
  since?: string;
  until?: string;
}

export class SourceRefError extends WardenError {
  constructor(message: string) {
    super('invalid', `source_ref: ${message}`);
    this.name = 'SourceRefError';
  }
}

const SCHEME = 'feedback://';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const LIST_PARAMS = ['tenant', 'label', 'reviewer'] as const;
const TIME_PARAMS = ['since', 'until'] as const;

function decode(part: string): string {
  try {
    return decodeURIComponent(part.replaceAll('+', ' '));
  } catch {
    throw new SourceRefError(`malformed percent-encoding in "${part}"`);
  }
}

function parseBound(param: string, value: string): string {
  const date = DATE_ONLY.test(value) ? parseInstant(`${value}T00:00:00Z`) : parseInstant(value);
  if (!date) {
    throw new SourceRefError(`${param} must be an ISO-8601 time with a zone or a date YYYY-MM-DD, got "${value}"`);
  }
  return date.toISOString();
}

function sortedUnique<T extends string>(values: T[]): T[] {
  return [...new Set(values)].sort();
}

export function parseSourceRef(ref: string): FeedbackSelection {
  const text = ref.trim();
  if (!text.toLowerCase().startsWith(SCHEME)) {
    throw new SourceRefError(`must start with ${SCHEME}, got "${text.slice(0, 40)}"`);
  }
  const rest = text.slice(SCHEME.length);
  if (rest.includes('#')) throw new SourceRefError('fragments are not allowed');
  const q = rest.indexOf('?');
  const name = (q < 0 ? rest : rest.slice(0, q)).replace(/\/$/, '');
  if (!NAME.test(name)) {
    throw new SourceRefError('name after feedback:// must be letters, digits, . _ - (e.g. recent-reviewed)');
  }
  const lists: Record<(typeof LIST_PARAMS)[number], string[]> = { tenant: [], label: [], reviewer: [] };
  const times: Partial<Record<(typeof TIME_PARAMS)[number], string>> = {};
  const query = q < 0 ? '' : rest.slice(q + 1);
  for (const pair of query.split('&').filter((p) => p !== '')) {
    const eq = pair.indexOf('=');
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
    if (value.trim() === '') throw new SourceRefError(`${key} needs a value`);
    if ((LIST_PARAMS as readonly string[]).includes(key)) {
      for (const item of value.split(',').map((v) => v.trim())) {
        if (item === '') throw new SourceRefError(`${key} has an empty list entry`);
        lists[key as (typeof LIST_PARAMS)[number]].push(item);
      }
    } else if ((TIME_PARAMS as readonly string[]).includes(key)) {
      const param = key as (typeof TIME_PARAMS)[number];
      if (times[param] !== undefined) throw new SourceRefError(`${param} given more than once`);
      times[param] = parseBound(param, value.trim());
    } else {
      throw new SourceRefError(`unknown parameter "${key}" (known: ${[...LIST_PARAMS, ...TIME_PARAMS].join(', ')})`);
    }
  }
  for (const label of lists.label) {
    if (!(FEEDBACK_LABELS as readonly string[]).includes(label)) {
      throw new SourceRefError(`label must be one of ${FEEDBACK_LABELS.join(', ')}, got "${label}"`);
    }
  }
  for (const [param, what] of [
    ['tenant', 'tenant'],
    ['reviewer', 'reviewer'],
  ] as const) {
    for (const id of lists[param]) {
      const checked = identifier(what).safeParse(id);
      if (!checked.success) throw new SourceRefError(checked.error.issues[0]?.message ?? what);
    }
  }
  if (times.since !== undefined && times.until !== undefined && times.since >= times.until) {
    throw new SourceRefError('since must be earlier than until');
  }
  return {
    name,
    tenants: sortedUnique(lists.tenant),
    labels: sortedUnique(lists.label as FeedbackLabel[]),
    reviewers: sortedUnique(lists.reviewer),
    ...(times.since !== undefined ? { since: times.since } : {}),
    ...(times.until !== undefined ? { until: times.until } : {}),
  };
}

// One spelling per selection: fixed parameter order, sorted unique lists, UTC "Z" times.
export function formatSourceRef(selection: FeedbackSelection): string {
  const params: string[] = [];
  if (selection.tenants.length) params.push(`tenant=${selection.tenants.map(encodeURIComponent).join(',')}`);
  if (selection.labels.length) params.push(`label=${selection.labels.join(',')}`);
  if (selection.reviewers.length) params.push(`reviewer=${selection.reviewers.map(encodeURIComponent).join(',')}`);
  if (selection.since) params.push(`since=${selection.since}`);
  if (selection.until) params.push(`until=${selection.until}`);
  return `${SCHEME}${selection.name}${params.length ? `?${params.join('&')}` : ''}`;
}

export function canonicalSourceRef(ref: string): string {
  return formatSourceRef(parseSourceRef(ref));
}
