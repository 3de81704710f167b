import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { PipelinedConnection, StatementResult } from './pipelined-connection';

/** PostgreSQL's codes for a prepared statement that is not there, and for one that already is. */
const MISSING = '26000';
const ALREADY_PREPARED = '42P05';

const codeOf = (error: unknown) => (error as { code?: unknown } | null)?.code;

/**
 * A statement prepared with SQL `PREPARE` once per database session and run by `EXECUTE` inside a
 * simple-protocol message: parsed and planned once, where the same text sent each time is parsed
 * and planned on every call (on PGlite the larger part of a hot writer's fixed cost). The
 * extended protocol's named statements (pg's `name` option) cannot serve here: a simple-protocol
 * message may carry several statements run as one implicit transaction (a lock, then the write),
 * an extended-protocol one only one statement; and pglite-socket multiplexes every connection onto
 * PGlite's one session, so a name pg believes is new on a connection may already be prepared by
 * another (answered 42P05, which this takes as prepared).
 *
 * The name carries a hash of the text, so a process running other code never executes a
 * statement of the same name prepared by an older one in a session they share.
 */
export class SessionPrepared {
  readonly name: string;
  private readonly prepared = new WeakSet<pg.ClientBase>();

  constructor(
    label: string,
    private readonly parameterTypes: readonly string[],
    private readonly body: string,
  ) {
    const digest = createHash('sha256')
      .update(`${parameterTypes.join(',')}\n${body}`)
      .digest('hex')
      .slice(0, 16);
    this.name = `${label}_${digest}`;
  }

  /** `EXECUTE` of this statement with `args`, SQL expressions (escaped literals) in parameter order. */
  execute(args: readonly string[]): string {
    if (args.length !== this.parameterTypes.length)
      throw new Error(`${this.name} takes ${this.parameterTypes.length} arguments, not ${args.length}`);
    return `EXECUTE ${this.name}(${args.join(', ')})`;
  }

  /**
   * Runs `message` (a simple-protocol text that includes `execute(...)`) on a connection of `pool`
   * on which this statement is prepared, preparing it first when the connection has not yet.
   */
  async run<R>(pool: pg.Pool, message: string): Promise<R> {
    const client = await pool.connect();
    try {
      await this.prepareOn(client);
      try {
        return (await client.query(message)) as unknown as R;
      } catch (error) {
        // Dropped meanwhile (DEALLOCATE, a session another connection reset): prepared again once.
        if (codeOf(error) !== MISSING) throw error;
        this.prepared.delete(client);
        await this.prepareOn(client);
        return (await client.query(message)) as unknown as R;
      }
    } finally {
      client.release();
    }
  }

  /**
   * run() on a pipelined connection: the PREPARE (when its session has not had it) is sent just
   * before `message`, without waiting for its answer, so the message still goes out at once and
   * runs after it.
   */
  async runPipelined(connection: PipelinedConnection, message: string): Promise<StatementResult[]> {
    this.preparePipelined(connection);
    try {
      return await connection.query(message);
    } catch (error) {
      if (codeOf(error) !== MISSING) throw error;
      connection.prepared.delete(this.name);
      this.preparePipelined(connection);
      return connection.query(message);
    }
  }

  private preparePipelined(connection: PipelinedConnection): void {
    if (connection.prepared.has(this.name)) return;
    connection.prepared.add(this.name);
    // Already prepared (a session shared through pglite-socket) is prepared; another failure shows as the EXECUTE's.
    connection.query(this.prepareText()).catch(() => undefined);
  }

  private prepareText(): string {
    return `PREPARE ${this.name}(${this.parameterTypes.join(', ')}) AS ${this.body}`;
  }

  private async prepareOn(client: pg.ClientBase): Promise<void> {
    if (this.prepared.has(client)) return;
    try {
      await client.query(this.prepareText());
    } catch (error) {
      if (codeOf(error) !== ALREADY_PREPARED) throw error;
    }
    this.prepared.add(client);
  }
}
