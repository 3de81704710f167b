import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  resolve(bytes: number): void;
  reject(error: unknown): void;
  onData(data: Uint8Array): void;
}

/** The parts of pglite-socket's (unexported) query queue this module replaces. */
interface QueryQueue {
  db: PGlite;
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
}

// Frontend messages of the extended query protocol that leave an unnamed statement or portal
// for the next message of the same client: Parse, Bind, Describe, Execute, Close, Flush.
const EXTENDED = new Set([0x50, 0x42, 0x44, 0x45, 0x43, 0x48]);
/** Flush: the client asks for what its sequence has answered so far, before its Sync. */
const FLUSH = 0x48;

/** A client's answer held back until its sequence ends: one socket write instead of one per chunk. */
interface HeldAnswer {
  handlerId: number;
  onData(data: Uint8Array): void;
  chunks: Uint8Array[];
}

/**
 * pglite-socket multiplexes every client connection onto PGlite's single session one protocol
 * message at a time, keeping only explicit transactions together. node-postgres sends each
 * parameterised query as Parse/Bind/Describe/Execute/Sync, so two connections' sequences
 * interleave: one client's Bind binds the other's unnamed statement (wrong rows come back) or its
 * Execute finds the portal gone ("portal \"\" does not exist"). This keeps a client's sequence
 * together up to its Sync, as a transaction is kept together; a failed message no longer stalls
 * the queue for good.
 *
 * It also hands a client its answer in one socket write per sequence (up to its Sync, a simple
 * Query, or a Flush) where pglite-socket wrote each chunk PGlite emits with a write of its own:
 * a parameterised query (Parse/Bind/Describe/Execute/Sync, five answers) cost PGlite about 0.35
 * ms of CPU, 0.28 with one write (three alternating pairs, load 10); a simple-protocol message
 * (intake's flush) was answered in one chunk already. The client reads nothing before its
 * sequence ends, except after a Flush, which sends what is held.
 */
export function keepProtocolSequencesTogether(server: PGLiteSocketServer): void {
  const q = (server as unknown as { queryQueue?: QueryQueue }).queryQueue;
  // The package is pinned exactly; fail loudly at start rather than serve wrong rows after an upgrade.
  if (
    !q ||
    !Array.isArray(q.queue) ||
    typeof q.processQueue !== 'function' ||
    typeof q.clearQueueForHandler !== 'function'
  ) {
    throw new Error(
      '@electric-sql/pglite-socket no longer has the query queue this module patches; re-check db/pglite-protocol-queue.ts against the new version',
    );
  }
  let owner: number | null = null;
  // Only the owner of an unfinished sequence has an answer held, so one slot is enough.
  let held: HeldAnswer | null = null;
  const send = () => {
    if (!held) return;
    const { onData, chunks } = held;
    held = null;
    if (chunks.length > 0) onData(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  };
  const clear = q.clearQueueForHandler.bind(q);
  q.clearQueueForHandler = (handlerId) => {
    clear(handlerId);
    if (held?.handlerId === handlerId) held = null;
    if (owner === handlerId) {
      owner = null;
      void q.processQueue();
    }
  };
  q.processQueue = async () => {
    if (q.processing || q.queue.length === 0) return;
    q.processing = true;
    try {
      while (q.queue.length > 0) {
        const holder = owner ?? (q.db.isInTransaction() ? q.lastHandlerId : null);
        const index = holder === null ? 0 : q.queue.findIndex((m) => m.handlerId === holder);
        // The holder's next message has not arrived yet; its enqueue restarts the queue.
        if (index === -1) break;
        const item = q.queue.splice(index, 1)[0]!;
        const type = item.message[0] ?? 0;
        owner = EXTENDED.has(type) ? item.handlerId : null;
        q.lastHandlerId = item.handlerId;
        if (held?.handlerId !== item.handlerId) send();
        const answer = (held ??= { handlerId: item.handlerId, onData: item.onData, chunks: [] });
        let bytes = 0;
        try {
          await q.db.runExclusive(() =>
            q.db.execProtocolRawStream(item.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                // PGlite may reuse the buffer it hands over; a held chunk is a copy.
                if (data.length > 0) answer.chunks.push(Buffer.from(data));
              },
            }),
          );
        } catch (error) {
          send();
          item.reject(error);
          continue;
        }
        if (owner === null || type === FLUSH) send();
        item.resolve(bytes);
      }
    } finally {
      q.processing = false;
    }
  };
}
