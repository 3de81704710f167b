import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { describeIssues, describeZodError } from '../../../domain/input/field-issues';
import { checkIdentifier } from '../../../domain/guard/identifier-rules';
import { identifier } from '../../../domain/guard/identifiers';
import { checkCalibrationRequest, checkLoraRequest, type RequestCheck } from '../../../domain/guard/proposal-request';
import { calibrationRequestSchema, loraRequestSchema } from '../../../domain/guard/proposal-request-schemas';

// The guard proposal workflow checks its request without zod (a workflow run must not load it); the
// boundary's zod schemas are the reference: the same request read (defaults filled, text trimmed), or
// the same refusals in the same words and order. The workflow's gates and payload, and so its history,
// depend on the request read, so a difference here would change the commands of a replayed proposal.

const byZod = (schema: z.ZodType, input: unknown) => {
  const parsed = schema.safeParse(input);
  return parsed.success ? { accepted: parsed.data } : { refused: describeZodError(parsed.error) };
};
const byWorkflow = <T>(check: (input: unknown) => RequestCheck<T>, input: unknown) => {
  const checked = check(input);
  return checked.ok ? { accepted: checked.value } : { refused: describeIssues(checked.issues).join('; ') };
};

const common: [name: string, input: unknown][] = [
  ['null', null],
  ['an array', []],
  ['a string', 'x'],
  ['a number', 3],
  ['a date (an object with no fields)', new Date(0)],
  ['nothing', {}],
];

const cal = {
  current_threshold: 0.5,
  candidate_threshold: 0.6,
  confidence_low: 0.4,
  confidence_high: 0.5,
  rollback_id: 'rb-1',
};
const calibrationCases: [string, unknown][] = [
  ...common,
  ['a well-formed request', cal],
  ['every default given', { ...cal, min_feedback: 7, max_interval_width: 0.2 }],
  ['defaults given as undefined', { ...cal, min_feedback: undefined, max_interval_width: undefined }],
  ['a rollback id to trim', { ...cal, rollback_id: '  rb-2 ' }],
  ['an unknown key', { ...cal, x: 1 }],
  ['two unknown keys', { ...cal, x: 1, y: 2 }],
  ['an unknown key set to undefined', { ...cal, x: undefined }],
  ['an inherited unknown key', Object.assign(Object.create({ z: 1 }) as object, cal)],
  ['an unknown key and a bad field', { ...cal, x: 1, current_threshold: 2 }],
  ['bounds out of order', { ...cal, confidence_low: 0.9 }],
  ['bounds out of order and an unknown key', { ...cal, confidence_low: 0.9, x: 1 }],
  ['bounds out of order and an empty rollback id', { ...cal, confidence_low: 0.9, rollback_id: '' }],
  ['bounds out of order and a numeric rollback id', { ...cal, confidence_low: 0.9, rollback_id: 7 }],
  ['bounds out of order and a fractional min_feedback', { ...cal, confidence_low: 0.9, min_feedback: 1.5 }],
  ['bounds out of order and an unsafe min_feedback', { ...cal, confidence_low: 0.9, min_feedback: 2 ** 60 }],
  ['bounds out of order and min_feedback 0', { ...cal, confidence_low: 0.9, min_feedback: 0 }],
  ['a threshold above 1 and bounds out of order', { ...cal, confidence_low: 0.9, current_threshold: 2 }],
  ['a low bound above 1', { ...cal, confidence_low: 2 }],
  ['a low bound below 0 (in order)', { ...cal, confidence_low: -1 }],
  ['both bounds below 0, out of order', { ...cal, confidence_low: -1, confidence_high: -2 }],
  ['a low bound that is no number', { ...cal, confidence_low: '0.4' }],
  ['NaN', { ...cal, current_threshold: NaN }],
  ['Infinity', { ...cal, candidate_threshold: Infinity }],
  ['a string threshold', { ...cal, current_threshold: '0.5' }],
  ['min_feedback -1.5', { ...cal, min_feedback: -1.5 }],
  ['min_feedback -0', { ...cal, min_feedback: -0 }],
  ['min_feedback above int4', { ...cal, min_feedback: 2 ** 40 }],
  ['min_feedback beyond safe integers', { ...cal, min_feedback: 2 ** 60 }],
  ['min_feedback far below', { ...cal, min_feedback: -(2 ** 60) }],
  ['min_feedback Infinity', { ...cal, min_feedback: Infinity }],
  ['min_feedback null', { ...cal, min_feedback: null }],
  ['max_interval_width null', { ...cal, max_interval_width: null }],
  ['max_interval_width above 1', { ...cal, max_interval_width: 1.5 }],
  ['a rollback id of spaces', { ...cal, rollback_id: '   ' }],
  ['a rollback id with a space', { ...cal, rollback_id: 'a b' }],
  ['a rollback id too long', { ...cal, rollback_id: 'x'.repeat(201) }],
  ['a rollback id too long with a space', { ...cal, rollback_id: `${'x'.repeat(201)} y` }],
  ['a rollback id of 200 once trimmed', { ...cal, rollback_id: ` ${'x'.repeat(200)} ` }],
  ['a rollback id starting with a dash', { ...cal, rollback_id: '-a' }],
  ['a rollback id with NUL', { ...cal, rollback_id: 'a\u0000' }],
];

const lora = {
  dataset_uri: 's3://b/k',
  base_model_ref: 'm',
  rollback_id: 'r',
  heldout_score: 0.8,
  baseline_score: 0.7,
};
const loraCases: [string, unknown][] = [
  ...common,
  ['a well-formed request', lora],
  ['every default given', { ...lora, min_improvement: 0.05, min_feedback: 9 }],
  ['text to trim', { ...lora, dataset_uri: ' s3://b/k\n', base_model_ref: ' m ' }],
  ['an unknown key', { ...lora, z: 1 }],
  ['an unknown key and a bad uri', { ...lora, z: 1, dataset_uri: 'a b' }],
  ['min_improvement -0', { ...lora, min_improvement: -0 }],
  ['min_improvement negative', { ...lora, min_improvement: -1 }],
  ['min_improvement NaN', { ...lora, min_improvement: NaN }],
  ['min_improvement Infinity', { ...lora, min_improvement: Infinity }],
  ['min_improvement a string', { ...lora, min_improvement: '1' }],
  ['min_feedback 0', { ...lora, min_feedback: 0 }],
  ['scores out of range', { ...lora, heldout_score: 1.1, baseline_score: -0.1 }],
  ...[
    '',
    '  ',
    '\t',
    'a b',
    'a\u00a0b',
    ' a\u2003 ',
    's3://u:p@h/x',
    'https://user@h/x y',
    's3://h/x?X-Amz-Signature=1',
    's3://h/x?sig=1 and more',
    'a\u0000',
    ' \u0000',
    'a b\u0000',
    's3://u:p@h/x\u0000',
    `s3://u:p@h/${'x'.repeat(1000)}`,
    'x'.repeat(1001),
    '\uD800',
    5,
    null,
  ].map((uri): [string, unknown] => [
    `dataset_uri ${JSON.stringify(uri)?.slice(0, 24)}`,
    { ...lora, dataset_uri: uri },
  ]),
];

describe("the guard proposal workflow's request check, next to the boundary's zod schemas", () => {
  it.each(calibrationCases)('calibration: %s', (_name, input) => {
    expect(byWorkflow(checkCalibrationRequest, input)).toEqual(byZod(calibrationRequestSchema, input));
  });

  it.each(loraCases)('LoRA: %s', (_name, input) => {
    expect(byWorkflow(checkLoraRequest, input)).toEqual(byZod(loraRequestSchema, input));
  });

  it.each(['', ' ', 'a b', 'x'.repeat(201), ` ${'x'.repeat(200)} `, 7, null, undefined, 'ok', ' ok ', '-a'])(
    'identifier %j',
    (value) => {
      const parsed = identifier('approver').safeParse(value);
      const checked = checkIdentifier('approver', value);
      if (parsed.success) expect(checked).toEqual({ value: parsed.data, issues: [] });
      else expect(checked.issues).toEqual(parsed.error.issues.map((i) => i.message));
    },
  );

  it('accept and refuse what the table says (the comparison above is not vacuous)', () => {
    expect(byWorkflow(checkCalibrationRequest, { ...cal, rollback_id: ' rb ' })).toEqual({
      accepted: { ...cal, rollback_id: 'rb', min_feedback: 32, max_interval_width: 0.1 },
    });
    expect(byWorkflow(checkCalibrationRequest, { ...cal, confidence_low: -1, confidence_high: -2, x: 1 })).toEqual({
      refused:
        'confidence_low: confidence_low must be finite and in [0, 1]; confidence_high: confidence_high must be finite and in [0, 1]; ' +
        'input: Unrecognized key: "x"; confidence_low: confidence_low must be <= confidence_high',
    });
    expect(byWorkflow(checkLoraRequest, { ...lora, dataset_uri: 's3://u:p@h/x' })).toEqual({
      refused: 'dataset_uri: dataset_uri must not contain embedded credentials (user-info in the authority)',
    });
  });
});
