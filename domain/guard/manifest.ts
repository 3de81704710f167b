import { WardenError } from '../errors';
import { contentId } from './content-id';
import type { FeedbackLabel } from './feedback-label';

// What the manifest needs from each reviewed event: references and counts, never text.
export interface ReviewedEvidence {
  event_id: string;
  reviewer_id: string;
  label: FeedbackLabel;
}

export interface ReviewedFeedbackManifest {
  manifest_id: string;
  source_ref: string;
  event_count: number;
  label_counts: Partial<Record<FeedbackLabel, number>>;
  reviewer_ids: string[];
  event_refs: string[];
}

export class EmptySelectionError extends WardenError {
  constructor(sourceRef: string) {
    super('invalid', `no reviewed feedback matches ${sourceRef}`);
    this.name = 'EmptySelectionError';
  }
}

function sorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

// The id covers the evidence only (event refs, labels, reviewers), not the source ref text:
// two spellings of a query that select the same reviewed events yield the same manifest id.
export function manifestIdFor(
  evidence: Pick<ReviewedFeedbackManifest, 'event_refs' | 'label_counts' | 'reviewer_ids'>,
): string {
  return contentId('reviewed-feedback-', {
    event_refs: sorted(evidence.event_refs),
    label_counts: evidence.label_counts,
    reviewer_ids: sorted(evidence.reviewer_ids),
  });
}

export function buildManifest(sourceRef: string, events: readonly ReviewedEvidence[]): ReviewedFeedbackManifest {
  if (events.length === 0) throw new EmptySelectionError(sourceRef);
  const counts = new Map<FeedbackLabel, number>();
  for (const event of events) counts.set(event.label, (counts.get(event.label) ?? 0) + 1);
  const label_counts = Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : 1)));
  const event_refs = sorted(events.map((e) => e.event_id));
  const reviewer_ids = sorted(events.map((e) => e.reviewer_id));
  return {
    manifest_id: manifestIdFor({ event_refs, label_counts, reviewer_ids }),
    source_ref: sourceRef,
    event_count: event_refs.length,
    label_counts,
    reviewer_ids,
    event_refs,
  };
}
