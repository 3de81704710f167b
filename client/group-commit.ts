/**
 * Group commit: callers submit one item each and wait for it to be durable; items that arrive
 * while a flush is in flight (or in the same turn of the event loop) are flushed together by the
 * next one, so N concurrent callers cost one transaction instead of N. A caller is answered only
 * after the flush that carries its item has committed, so an answered item is a stored item
 * whatever happens to the process afterwards; a failed flush fails only the callers it carried.
 * When items waited for a flush, the next flush is sent before that flush's callers are answered
 * (the flushes are the serial part; answering, e.g. writing HTTP responses, overlaps the next one).
 *
 * `maxInFlight` (default 1) bounds the flushes running at once. One at a time is right for a user
 * whose flush builds on what the previous one left (the action checks sign after the chain head
 * the previous flush wrote). A user whose flushes are independent (each takes its locks and reads
 * what it builds on inside its own transaction, as intake's does) may opt in to more: the next
 * flush then gathers and prepares its batch, and waits on the database's locks, while the previous
 * one commits, instead of waiting for its answer. Batches are still cut in submission order, but
 * two flushes in flight commit in whatever order the database serialises them.
 *
 * `overlap` bounds when a flush may start while another is running (with `maxInFlight` above 1):
 * only once `minBatch` items wait (a second flush of one item would cost the database a flush's
 * fixed cost for one item's worth of work) and, with `allowed`, only while it says so (the action
 * checks stop overlapping while they do not know the chain's head).
 *
 * `lingerMs` (default 0) holds a flush that follows one of several items for that long, so the
 * callers just answered can join it: where each flush costs the database far more than each item
 * (PGlite plans and commits intake's one-round-trip statement in about 6 ms, an item adds about
 * 0.05), larger batches cut CPU per item. A flush after one of a single item starts at once, so a
 * lone caller writing in sequence waits for no linger; the linger also ends as soon as as many
 * items wait as the last flush carried (in a closed loop, every caller it answered is back).
 */
export class GroupCommit<I, O> {
  private pending: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private readonly flushing = new Set<Promise<void>>();
  /** Flushes committed whose callers are answered once the next flush is sent. */
  private readonly answering = new Set<Promise<void>>();
  private scheduled = false;
  /** Items the last flush carried: after several, the next one lingers. */
  private lastBatch = 0;
  /** The linger in progress: ends early once as many items wait as the last flush carried. */
  private lingering: { timer: NodeJS.Timeout; start: () => void } | null = null;

  constructor(
    /** Makes `items` durable together; returns one outcome per item, in order. */
    private readonly flushBatch: (items: I[]) => Promise<O[]>,
    private readonly maxBatch = 500,
    private readonly maxInFlight = 1,
    private readonly lingerMs = 0,
    private readonly overlap: { minBatch: number; allowed?: () => boolean } = { minBatch: 1 },
  ) {
    if (!(maxInFlight >= 1)) throw new Error(`maxInFlight must be at least 1, not ${maxInFlight}`);
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      const lingering = this.lingering;
      // Every caller the last flush answered is back: waiting longer only adds latency.
      if (lingering && this.pending.length >= this.lastBatch) {
        clearTimeout(lingering.timer);
        this.lingering = null;
        setImmediate(lingering.start);
      }
      this.schedule();
    });
  }

  /** Items waiting for a flush (the batches being flushed are not counted). */
  get size(): number {
    return this.pending.length;
  }

  /** Flushes running now (at most `maxInFlight`). */
  get inFlight(): number {
    return this.flushing.size;
  }

  /** Resolves once every item submitted so far (and meanwhile) is flushed (SIGTERM drains here). */
  async drain(): Promise<void> {
    while (this.flushing.size > 0 || this.pending.length > 0 || this.answering.size > 0) {
      this.schedule();
      // Until the scheduled flush has begun there is nothing to await but the next turn.
      await (this.flushing.size + this.answering.size > 0
        ? Promise.race([...this.flushing, ...this.answering])
        : new Promise<void>((resolve) => setImmediate(resolve)));
    }
  }

  /** Whether a flush may start now: a slot is free and, while one runs, the overlap's terms hold. */
  private mayStart(): boolean {
    if (this.pending.length === 0 || this.flushing.size >= this.maxInFlight) return false;
    return (
      this.flushing.size === 0 || (this.pending.length >= this.overlap.minBatch && (this.overlap.allowed?.() ?? true))
    );
  }

  private schedule(): void {
    if (this.scheduled || !this.mayStart()) return;
    this.scheduled = true;
    // Callers that arrive in the same turn (a burst of requests parsed together) share the flush;
    // after a flush of several, so do those that arrive within the linger.
    const later = (start: () => void) => {
      if (this.lingers() && this.pending.length < this.lastBatch)
        this.lingering = { timer: setTimeout(start, this.lingerMs), start };
      else setImmediate(start);
    };
    later(() => {
      this.lingering = null;
      this.scheduled = false;
      if (!this.mayStart()) return;
      const batch = this.pending.splice(0, this.maxBatch);
      this.lastBatch = batch.length;
      const flush: Promise<void> = this.run(batch).then((answer) => {
        this.flushing.delete(flush);
        if (this.pending.length === 0 || this.lingers()) {
          answer();
          this.schedule();
          return;
        }
        // Items waited meanwhile: their flush is sent first and these callers are answered after
        // it (the next immediate, once the flush's own promise chain has written its statement).
        // Answering first would put their responses' work and writes between one round trip and
        // the next, and the flushes are what the callers wait for.
        this.schedule();
        const answering: Promise<void> = new Promise((resolve) =>
          setImmediate(() => {
            this.answering.delete(answering);
            answer();
            resolve();
          }),
        );
        this.answering.add(answering);
      });
      this.flushing.add(flush);
      // A slot left: what arrives meanwhile may start the next flush before this one commits.
      this.schedule();
    });
  }

  private lingers(): boolean {
    return this.lingerMs > 0 && this.lastBatch > 1;
  }

  /** Flushes `batch`; resolves (never rejects) with what answers its callers. */
  private async run(batch: typeof this.pending): Promise<() => void> {
    try {
      const outcomes = await this.flushBatch(batch.map((p) => p.item));
      return () => batch.forEach((p, i) => p.resolve(outcomes[i]!));
    } catch (error) {
      return () => {
        for (const p of batch) p.reject(error);
      };
    }
  }
}
