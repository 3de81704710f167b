import type pg from 'pg';
import {
  IntakeNeedsOwnTransaction,
  storeIntakeAtHead,
  storeIntakeBatchesLeavingHead,
  type IntakeItem,
  type IntakeResult,
} from '../db/delegation/intake';
import type { ProvenanceHead } from '../db/provenance/log';
import { GroupCommit } from './group-commit';

type Settled = { result: IntakeResult } | { error: unknown };

/**
 * How long a flush that follows one of several requests waits for more (GroupCommit's linger). A
 * flush costs the database nearly the same for 1 row as for 8 (the 1,000-row loads of BENCHMARKS.md
 * §6 put a row at about 0.05 ms of PGlite's CPU, a one-row flush at several ms), so under concurrent
 * writers larger batches cost every process less per event: 8 writers in a closed loop, 1,000
 * one-row writes (bench/tools/intake-cost.ts, same sitting): requests per flush 4.0 -> 6.2, PGlite
 * 2.1-2.6 -> 1.5-1.6 ms per event, the API 1.5-1.8 -> 1.2. A lone writer (flushes of one) never waits.
 */
export const INTAKE_LINGER_MS = 3;

/**
 * Intake's group commit: requests that arrive while a flush is in flight are stored together and
 * each is answered with its own result once that flush has committed. A flush is one round trip
 * when it can be (storeIntakeAtHead: signed after the chain head the previous flush left, written
 * only if every item would be stored whole and that is still the head), else one transaction with
 * one INSERT per kind (db/delegation/intake.ts, storeIntakeBatches). When one of them cannot be
 * settled as if it were alone (an unknown ABP, a row already stored, a conflict), the flush stores
 * each in a transaction of its own instead, so every request gets exactly the answer it would have
 * had by itself. One flush at a time (GroupCommit's default): each signs after the head the
 * previous one left, and on two shared cores a second flush in flight only made batches smaller
 * (BENCHMARKS.md §6).
 */
export class IntakeCommit {
  private readonly commits: GroupCommit<IntakeItem, Settled>;
  /** The chain's head as the last flush left it; null until a careful flush has read it. */
  private head: ProvenanceHead | null = null;

  constructor(private readonly deps: { pool: pg.Pool; provenanceKey: string }) {
    this.commits = new GroupCommit((items) => this.flush(items), undefined, undefined, INTAKE_LINGER_MS);
  }

  async store(item: IntakeItem): Promise<IntakeResult> {
    const settled = await this.commits.submit(item);
    if ('error' in settled) throw settled.error;
    return settled.result;
  }

  private async flush(items: IntakeItem[]): Promise<Settled[]> {
    const head = this.head;
    if (head) {
      const done = await storeIntakeAtHead(this.deps.pool, this.deps.provenanceKey, items, head).catch((error) => {
        this.head = null;
        throw error;
      });
      if (done) {
        this.head = done.head;
        return done.results.map((result) => ({ result }));
      }
    }
    this.head = null;
    if (items.length > 1) {
      try {
        return (await this.careful(items)).map((result) => ({ result }));
      } catch (error) {
        if (!(error instanceof IntakeNeedsOwnTransaction)) throw error;
      }
    }
    const settled: Settled[] = [];
    for (const item of items) {
      settled.push(
        await this.careful([item]).then(
          ([result]) => ({ result: result! }),
          (error: unknown) => ({ error }),
        ),
      );
    }
    return settled;
  }

  /** The transaction that settles every case; it leaves the head the next flush signs after. */
  private async careful(items: IntakeItem[]): Promise<IntakeResult[]> {
    const { results, head } = await storeIntakeBatchesLeavingHead(this.deps, items);
    this.head = head;
    return results;
  }
}
