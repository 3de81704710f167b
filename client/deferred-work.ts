/**
 * Work a call starts but does not wait for, such as the wake-up signal `chat` sends: the caller
 * gets its answer without a Temporal round trip, and the context finishes the work before it
 * closes so a short-lived process (the CLI) does not drop it on exit. Failures are dropped on
 * purpose: what is deferred here must be covered by something else (a lost wake-up: the next chat
 * signals again, and the cooldown deadline scores every queued sample).
 */
export class DeferredWork {
  private readonly pending = new Set<Promise<void>>();

  add(work: Promise<unknown>): void {
    const tracked: Promise<void> = work
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Resolves once everything added so far (and anything added meanwhile) has settled. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
