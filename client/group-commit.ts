/**
 * Group commit: callers submit one item each and wait for it to be durable; items that arrive
 * while a flush is in flight (or in the same turn of the event loop) are flushed together by the
 * next one, so N concurrent callers cost one transaction instead of N. A caller is answered only
 * after the flush that carries its item has committed, so an answered item is a stored item
 * whatever happens to the process afterwards. One flush at a time: the statements it runs
 * serialise on the same locks anyway.
 */
export class GroupCommit<I, O> {
  private pending: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | null = null;
  private scheduled = false;

  constructor(
    /** Makes `items` durable together; returns one outcome per item, in order. */
    private readonly flushBatch: (items: I[]) => Promise<O[]>,
    private readonly maxBatch = 500,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Items waiting for a flush (the batch being flushed is not counted). */
  get size(): number {
    return this.pending.length;
  }

  /** Resolves once every item submitted so far (and meanwhile) is flushed (SIGTERM drains here). */
  async drain(): Promise<void> {
    while (this.flushing || this.pending.length > 0) {
      this.schedule();
      // Until the scheduled flush has begun there is nothing to await but the next turn.
      await (this.flushing ?? new Promise<void>((resolve) => setImmediate(resolve)));
    }
  }

  private schedule(): void {
    if (this.flushing || this.scheduled) return;
    this.scheduled = true;
    // Callers that arrive in the same turn (a burst of requests parsed together) share the flush.
    setImmediate(() => {
      this.scheduled = false;
      this.flushing = this.flushLoop().finally(() => {
        this.flushing = null;
        if (this.pending.length > 0) this.schedule();
      });
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      try {
        const outcomes = await this.flushBatch(batch.map((p) => p.item));
        batch.forEach((p, i) => p.resolve(outcomes[i]!));
      } catch (error) {
        for (const p of batch) p.reject(error);
      }
    }
  }
}
