import type pg from 'pg';
import {
  IntakeNeedsOwnTransaction,
  storeIntakeBatches,
  type IntakeItem,
  type IntakeResult,
} from '../db/delegation/intake';
import { GroupCommit } from './group-commit';

type Settled = { result: IntakeResult } | { error: unknown };

/**
 * Intake's group commit: requests that arrive while a flush is in flight are stored together, in
 * one transaction with one INSERT per kind (db/delegation/intake.ts, storeIntakeBatches), and each
 * is answered with its own result once that transaction has committed. When one of them cannot be
 * settled as if it were alone (an unknown ABP, a row already stored, a conflict), the flush stores
 * each in a transaction of its own instead, so every request gets exactly the answer it would have
 * had by itself.
 */
export class IntakeCommit {
  private readonly commits: GroupCommit<IntakeItem, Settled>;

  constructor(private readonly deps: { pool: pg.Pool; provenanceKey: string }) {
    this.commits = new GroupCommit((items) => this.flush(items));
  }

  async store(item: IntakeItem): Promise<IntakeResult> {
    const settled = await this.commits.submit(item);
    if ('error' in settled) throw settled.error;
    return settled.result;
  }

  private async flush(items: IntakeItem[]): Promise<Settled[]> {
    if (items.length > 1) {
      try {
        return (await storeIntakeBatches(this.deps, items)).map((result) => ({ result }));
      } catch (error) {
        if (!(error instanceof IntakeNeedsOwnTransaction)) throw error;
      }
    }
    const settled: Settled[] = [];
    for (const item of items) {
      settled.push(
        await storeIntakeBatches(this.deps, [item]).then(
          ([result]) => ({ result: result! }),
          (error: unknown) => ({ error }),
        ),
      );
    }
    return settled;
  }
}
