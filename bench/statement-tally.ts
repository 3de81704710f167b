import pg from 'pg';

/**
 * Counts the SQL statements every `pg` client of this process sends (the benchmark's client and
 * the in-process worker's activities alike), per phase the benchmark names, and the most frequent
 * ones: a profile of round trips that needs no database-side logging. Wraps Client#query once.
 */
export class StatementTally {
  private phase = '';
  private readonly counts = new Map<string, Map<string, number>>();

  constructor() {
    const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const query = proto.query;
    const count = (text: string) => this.count(text);
    proto.query = function (this: unknown, ...args: unknown[]) {
      const first = args[0];
      count(typeof first === 'string' ? first : ((first as { text?: string } | undefined)?.text ?? '?'));
      return query.apply(this, args);
    };
  }

  /** Statements from now on count under `phase`. */
  enter(phase: string): void {
    this.phase = phase;
  }

  total(phase: string): number {
    return [...(this.counts.get(phase)?.values() ?? [])].reduce((a, b) => a + b, 0);
  }

  /** The `most` most frequent statements of `phase` (their first words), with their counts. */
  top(phase: string, most = 12): { statement: string; count: number }[] {
    return [...(this.counts.get(phase)?.entries() ?? [])]
      .sort((a, b) => b[1] - a[1])
      .slice(0, most)
      .map(([statement, count]) => ({ statement, count }));
  }

  private count(text: string): void {
    let phase = this.counts.get(this.phase);
    if (!phase) this.counts.set(this.phase, (phase = new Map()));
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 80);
    phase.set(key, (phase.get(key) ?? 0) + 1);
  }
}
