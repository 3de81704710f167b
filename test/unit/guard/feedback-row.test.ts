import { describe, expect, it } from 'vitest';
import { FeedbackBatchError, parseFeedbackBatch } from '../../../domain/guard/feedback-row';

function row(overrides: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}) {
  return {
    prompt: 'How do I reset my password?',
    response: 'Use the account page.',
    label: 'safe',
    tenant_id: 'acme',
    metadata: { event_id: 'evt-1', reviewer_id: 'rev-a', ...metadata },
    timestamp: '2026-05-13T10:00:00Z',
    ...overrides,
  };
}
const ndjson = (...rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n');
const parseFeedbackNdjson = (text: string) => parseFeedbackBatch(text).rows;

function refusal(text: string): FeedbackBatchError {
  try {
    parseFeedbackNdjson(text);
  } catch (error) {
    if (error instanceof FeedbackBatchError) return error;
    throw error;
  }
  throw new Error('expected the batch to be refused');
}

describe('feedback NDJSON rows', () => {
  it('reports rows read against the row count, repeats included', () => {
    const heard: [number, number | undefined, string][] = [];
    parseFeedbackBatch(`${ndjson(row(), row(), row({}, { event_id: 'evt-2' }))}\n\n`, (...call) => heard.push(call));
    expect(heard).toEqual([
      [1, 3, 'validating rows'],
      [2, 3, 'validating rows'],
      [3, 3, 'validating rows'],
    ]);
  });

  it('parses every label and normalises timestamps to UTC Z', () => {
    const rows = parseFeedbackNdjson(
      ndjson(
        row({ label: 'safe', timestamp: 1778666400 }, { event_id: 'e1' }),
        row({ label: 'unsafe', timestamp: '2026-05-13T12:00:00+02:00' }, { event_id: 'e2' }),
        row({ label: 'false_positive' }, { event_id: 'e3' }),
        row({ label: 'false_negative', timestamp: 1778666400.5 }, { event_id: 'e4' }),
      ),
    );
    expect(rows.map((r) => r.label)).toEqual(['safe', 'unsafe', 'false_positive', 'false_negative']);
    expect(rows[0]?.timestamp).toBe('2026-05-13T10:00:00.000Z');
    expect(rows[1]?.timestamp).toBe('2026-05-13T10:00:00.000Z');
    expect(rows[3]?.timestamp).toBe('2026-05-13T10:00:00.500Z');
  });

  it('keeps extra metadata', () => {
    const [parsed] = parseFeedbackNdjson(ndjson(row({}, { queue: 'q7', score: 0.4 })));
    expect(parsed?.metadata).toMatchObject({ event_id: 'evt-1', reviewer_id: 'rev-a', queue: 'q7', score: 0.4 });
  });

  it.each([
    ['reviewer_id missing', row({}, { reviewer_id: undefined }), 'metadata.reviewer_id'],
    ['reviewer_id blank', row({}, { reviewer_id: '  ' }), 'metadata.reviewer_id'],
    ['event_id missing', row({}, { event_id: undefined }), 'metadata.event_id'],
    ['event_id with spaces', row({}, { event_id: 'evt 1' }), 'metadata.event_id'],
    ['event_id not tenant-safe', row({}, { event_id: 'evt-token-1' }), 'metadata.event_id'],
    ['metadata missing', row({ metadata: undefined }), 'metadata'],
    ['bad label', row({ label: 'maybe' }), 'label'],
    ['empty prompt', row({ prompt: '' }), 'prompt'],
    ['response missing', row({ response: undefined }), 'response'],
    ['tenant_id missing', row({ tenant_id: undefined }), 'tenant_id'],
    ['zone-less timestamp', row({ timestamp: '2026-05-13T10:00:00' }), 'timestamp'],
    ['negative epoch', row({ timestamp: -5 }), 'timestamp'],
    ['timestamp missing', row({ timestamp: undefined }), 'timestamp'],
  ])('refuses the batch when %s, naming line and field', (_name, bad, field) => {
    const error = refusal(ndjson(row({}, { event_id: 'ok-1' }), bad, row({}, { event_id: 'ok-3' })));
    expect(error.line).toBe(2);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(/^line 2: /);
  });

  it('refuses unknown keys and text the database cannot store, naming the field', () => {
    expect(refusal(ndjson(row({ promt: 'typo' }))).message).toBe('line 1: Unrecognized key: "promt"');
    expect(refusal(ndjson(row({ prompt: 'a\u0000b' }))).message).toBe(
      'line 1: prompt: must not contain a NUL character (U+0000)',
    );
    expect(refusal(ndjson(row({ response: 'x\ud800' }))).field).toBe('response');
    expect(refusal(ndjson(row({}, { 'bad\u0000key': 1 }))).field).toBe('metadata.bad\u0000key');
    expect(refusal(ndjson(row({}, { note: 'n\u0000' }))).field).toBe('metadata.note');
  });

  it('never echoes prompt or response text in a refusal', () => {
    const error = refusal(ndjson(row({ prompt: 'PRIVATE-PROMPT-TEXT', response: 'PRIVATE-RESPONSE', label: 'x' })));
    expect(error.message).not.toContain('PRIVATE');
  });

  it('refuses invalid JSON with its line number, counting blank lines', () => {
    const error = refusal(`${JSON.stringify(row())}\n\n{not json`);
    expect(error.line).toBe(3);
    expect(error.message).toContain('not valid JSON');
  });

  it('refuses an empty batch', () => {
    expect(refusal('\n\n').message).toContain('no rows');
  });

  it('keeps an identical repeat of an event once (idempotent)', () => {
    const rows = parseFeedbackNdjson(ndjson(row(), row(), row({}, { event_id: 'evt-2' })));
    expect(rows.map((r) => r.metadata.event_id)).toEqual(['evt-1', 'evt-2']);
  });

  it('refuses the same event_id with different content', () => {
    const error = refusal(ndjson(row(), row({ label: 'unsafe' })));
    expect(error.line).toBe(2);
    expect(error.message).toContain('repeats line 1');
  });
});
