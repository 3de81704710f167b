import type pg from 'pg';
import { findActiveReview, insertReviewsReadingHead, markOpened } from '../db/delegation/reviews';
import type { NewReview, ReviewRow } from '../db/delegation/reviews';
import { withTransaction } from '../db/pool';
import {
  APPEND_LOCK,
  appendProvenanceAfterHead,
  appendProvenanceBatch,
  type ProvenanceInput,
} from '../db/provenance/log';
import { conflict } from '../domain/errors';
import { GroupCommit } from './group-commit';

/** A review a person opens, read and checked before any transaction (see openReview). */
export interface ReviewOpening {
  review: NewReview & { state: 'open'; openedBy: string };
}

/**
 * A review as stored, and whether a webhook subscription wanted review.opened when it was (read by
 * the storing statement; undefined when the statement that stored it did not read it: a queued
 * review opened).
 */
export interface StoredOpening {
  row: ReviewRow;
  openedSubscribed: boolean | undefined;
}

type Settled = StoredOpening | { error: unknown };

/** The batch could not be stored as if each opening were alone: each is stored by itself instead. */
class OpeningNeedsOwnTransaction extends Error {}

const openedEntry = (reviewId: string, r: ReviewOpening['review']): ProvenanceInput => ({
  kind: 'review.opened',
  subject: `review:${reviewId}`,
  actor: r.openedBy,
  payload: { abp_id: r.abpId, abp_hash: r.abpHash, trigger_id: r.triggerId, severity: r.severity, manual: true },
});

/**
 * Reviews opened at the same time are stored together: the openings that arrive while one flush
 * is in flight share the next (GroupCommit), one transaction with one INSERT of their rows and
 * their provenance entries appended as one batch, where each took a transaction of its own (on
 * the embedded database every open transaction holds the only session, so concurrent openings
 * queued behind each other's seven round trips). When one of them cannot be stored as if it were
 * alone (a review already active for its ABP and trigger, a queued one to open, two of the same,
 * an ABP that moved on), the batch rolls back and each is stored in a transaction of its own, so
 * every caller gets exactly the answer it would have had by itself. The reviews are stored without
 * their workflows (dormant: see openReview).
 */
export class ReviewOpenCommit {
  private readonly openings: GroupCommit<ReviewOpening, Settled>;

  constructor(private readonly deps: { pool: pg.Pool; provenanceKey: string }) {
    this.openings = new GroupCommit((items) => this.flush(items));
  }

  async open(opening: ReviewOpening): Promise<StoredOpening> {
    const settled = await this.openings.submit(opening);
    if ('error' in settled) throw settled.error;
    return settled;
  }

  private async flush(items: ReviewOpening[]): Promise<Settled[]> {
    if (items.length > 1) {
      try {
        return await this.storeTogether(items);
      } catch {
        // Rolled back (OpeningNeedsOwnTransaction, or a statement one of them failed): each alone below.
      }
    }
    const settled: Settled[] = [];
    for (const item of items) {
      settled.push(await this.storeAlone(item).catch((error: unknown) => ({ error })));
    }
    return settled;
  }

  /**
   * One transaction for them all, begun holding the provenance lock: one INSERT of the rows that
   * also reads the chain's head, one INSERT of their entries, COMMIT.
   */
  private storeTogether(items: ReviewOpening[]): Promise<StoredOpening[]> {
    return withTransaction(
      this.deps.pool,
      async (tx) => {
        const { rows, head, openedSubscribed } = await insertReviewsReadingHead(
          tx,
          items.map((i) => i.review),
        );
        const rowOf = (i: ReviewOpening) =>
          rows.find((r) => r.abpId === i.review.abpId && r.triggerId === i.review.triggerId && r.state === 'open');
        if (!head || rows.length !== items.length || items.some((i) => !rowOf(i)))
          throw new OpeningNeedsOwnTransaction();
        const opened = items.map((i) => rowOf(i)!);
        await appendProvenanceAfterHead(
          tx,
          this.deps.provenanceKey,
          opened.map((row, n) => openedEntry(row.reviewId, items[n]!.review)),
          head,
        );
        return opened.map((row) => ({ row, openedSubscribed }));
      },
      { lock: APPEND_LOCK },
    );
  }

  /**
   * One opening in its own transaction, begun holding the provenance lock: the insert (reading the
   * chain's head) and its entry; only when the insert was skipped, the active review's lock and,
   * for a queued one, its opening.
   */
  private storeAlone({ review }: ReviewOpening): Promise<StoredOpening> {
    const { abpId, triggerId, openedBy } = review;
    return withTransaction(
      this.deps.pool,
      async (tx) => {
        const { rows, head, openedSubscribed } = await insertReviewsReadingHead(tx, [review]);
        const [inserted] = rows;
        if (inserted && head) {
          await appendProvenanceAfterHead(tx, this.deps.provenanceKey, [openedEntry(inserted.reviewId, review)], head);
          return { row: inserted, openedSubscribed };
        }
        const active = await findActiveReview(tx, abpId, triggerId, { forUpdate: true });
        if (active?.state === 'open')
          throw conflict(`review ${active.reviewId} is already open for ${abpId} ${triggerId}`);
        const row = active ? await markOpened(tx, active.reviewId, openedBy) : undefined;
        if (!row)
          throw conflict(`a review for ${abpId} ${triggerId} was opened concurrently, or the ABP changed; try again`);
        await appendProvenanceBatch(tx, this.deps.provenanceKey, [openedEntry(row.reviewId, review)]);
        return { row, openedSubscribed: undefined };
      },
      { lock: APPEND_LOCK },
    );
  }
}
