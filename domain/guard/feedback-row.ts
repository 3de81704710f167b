import { z } from 'zod';
import { canonicalJson } from '../canonical-json';
import { refineStorableJson } from '../input/storable-json';
import { FREE_TEXT_BYTES, LINE_TEXT_BYTES, storableText } from '../input/storable-text';
import { WardenError } from '../errors';
import { INGEST_PHASES, type ProgressCallback } from '../progress';
import { feedbackLabelSchema } from './feedback-label';
import { identifier, tenantSafeIdentifier } from './identifiers';
import { instantSchema } from './utc-timestamp';

// One reviewed feedback row as it arrives in NDJSON. Prompt and response are the only free
// text; they are stored in the feedback table and nowhere else.
// Unknown keys are refused: a misspelt field would otherwise vanish without a word.
export const feedbackRowSchema = z.strictObject({
  prompt: storableText(FREE_TEXT_BYTES, { error: 'prompt is required' }).min(1, 'prompt must be non-empty'),
  response: storableText(FREE_TEXT_BYTES, { error: 'response is required' }),
  label: feedbackLabelSchema,
  tenant_id: identifier('tenant_id'),
  metadata: z
    .object(
      {
        event_id: tenantSafeIdentifier('metadata.event_id'),
        reviewer_id: identifier('metadata.reviewer_id'),
      },
      { error: 'metadata is required (with event_id and reviewer_id)' },
    )
    .catchall(z.union([storableText(LINE_TEXT_BYTES), z.number(), z.boolean(), z.null()]))
    // Extra metadata keys are stored as jsonb keys: they must be storable too.
    .superRefine(refineStorableJson()),
  timestamp: instantSchema,
});
export type FeedbackRow = z.infer<typeof feedbackRowSchema>;

export class FeedbackBatchError extends WardenError {
  constructor(
    readonly line: number,
    readonly field: string,
    readonly detail: string,
  ) {
    super('invalid', `line ${line}: ${field ? `${field}: ` : ''}${detail}`, { line, field });
    this.name = 'FeedbackBatchError';
  }
}

function firstIssue(error: z.ZodError): { field: string; message: string } {
  const issue = error.issues[0];
  return { field: issue?.path.join('.') ?? '', message: issue?.message ?? 'invalid row' };
}

// Rows with the line each came from. All-or-nothing: the first bad line refuses the batch,
// so a caller writes nothing unless
// every row is valid. Blank lines are skipped but still counted for line numbers.
// The same event_id twice with identical content is kept once; with different content it
// is a conflict that refuses the batch. `onProgress` hears the rows read so far.
export function parseFeedbackBatch(
  text: string,
  onProgress?: ProgressCallback,
): { rows: FeedbackRow[]; lines: number[] } {
  const rows: FeedbackRow[] = [];
  const lines: number[] = [];
  const seen = new Map<string, { line: number; content: string }>();
  const rawLines = text.split(/\r?\n/);
  const total = rawLines.filter((raw) => raw.trim() !== '').length;
  let read = 0;
  for (const [index, raw] of rawLines.entries()) {
    const lineNo = index + 1;
    if (raw.trim() === '') continue;
    onProgress?.(++read, total, INGEST_PHASES.validating);
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new FeedbackBatchError(lineNo, '', 'not valid JSON');
    }
    const parsed = feedbackRowSchema.safeParse(json);
    if (!parsed.success) {
      const { field, message } = firstIssue(parsed.error);
      throw new FeedbackBatchError(lineNo, field, message);
    }
    const eventId = parsed.data.metadata.event_id;
    const content = canonicalJson(parsed.data);
    const earlier = seen.get(eventId);
    if (earlier === undefined) {
      seen.set(eventId, { line: lineNo, content });
      rows.push(parsed.data);
      lines.push(lineNo);
    } else if (earlier.content !== content) {
      throw new FeedbackBatchError(
        lineNo,
        'metadata.event_id',
        `event_id ${eventId} repeats line ${earlier.line} with different content`,
      );
    }
    // An identical repeat is idempotent: it is dropped, not refused.
  }
  if (rows.length === 0) throw new FeedbackBatchError(0, '', 'the batch contains no rows');
  return { rows, lines };
}
