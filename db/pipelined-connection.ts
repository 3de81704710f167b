import pg from 'pg';

/** One statement's answer within a message: its rows, each value parsed as pg parses text results. */
export interface StatementResult {
  rows: Record<string, unknown>[];
}

/** The backend messages this reads, as pg's Connection emits them (pg-protocol's parser). */
interface RowDescription {
  fields: { name: string; dataTypeID: number }[];
}
interface DataRow {
  fields: (string | null)[];
}

interface Sent {
  results: StatementResult[];
  error: unknown;
  resolve(results: StatementResult[]): void;
  reject(error: unknown): void;
}

/** The events pg's Client handles for its one active query; this connection answers them itself. */
const ANSWERS = ['rowDescription', 'dataRow', 'commandComplete', 'emptyQuery', 'errorMessage', 'readyForQuery'];

/**
 * One database connection that sends simple-protocol messages at once, without waiting for the
 * answer to the one before (pipelining): pg's Client sends a query only after the previous one's
 * ReadyForQuery. The server runs the messages of one connection in the order they were sent (a
 * real PostgreSQL backend and pglite-socket alike), each its own implicit transaction, so a
 * writer that chains its writes (the next signed after the provenance head the previous will
 * leave) can send the next while the previous is still running, and a failed one cannot be
 * overtaken by the next (which then fails its own check). Each message's promise settles at its
 * ReadyForQuery, i.e. once its transaction has committed (or failed).
 *
 * pg's Client opens the connection (authentication, parameters); this then takes over its
 * answers. The socket keeps the process alive only while a message is unanswered, and the
 * connection closes after `idleMs` without one (as the pool's connections do; a later message opens a new one).
 */
export class PipelinedConnection {
  private client: pg.Client | null = null;
  private connecting: Promise<pg.Client> | null = null;
  private sent: Sent[] = [];
  private rows: StatementResult | null = null;
  private parsers: { name: string; parse: (v: string) => unknown }[] = [];
  private idle: NodeJS.Timeout | null = null;
  /** Names prepared on this connection's current session (SessionPrepared). */
  readonly prepared = new Set<string>();

  constructor(
    private readonly connectionString: string,
    private readonly idleMs = 10_000,
  ) {}

  /**
   * Sends `text` behind every message not yet answered; resolves with its statements' results
   * once the server is ready again, or rejects with the first error it answered (the message's
   * implicit transaction then wrote nothing) or a connection failure.
   */
  query(text: string): Promise<StatementResult[]> {
    const client = this.client;
    // Messages sent while connecting wait for the same promise: they resume, and send, in call order.
    if (!client) return this.connect().then(() => this.query(text));
    return new Promise((resolve, reject) => {
      if (this.idle) clearTimeout(this.idle);
      this.idle = null;
      if (this.sent.length === 0) socketOf(client).ref();
      this.sent.push({ results: [], error: null, resolve, reject });
      client.connection.query(text);
    });
  }

  /** Messages sent and not yet answered. */
  get unanswered(): number {
    return this.sent.length;
  }

  /** Closes the connection; messages not yet answered are rejected. */
  close(): void {
    const client = this.client;
    this.drop(new Error('the pipelined connection was closed'));
    void client?.end().catch(() => undefined);
  }

  private connect(): Promise<pg.Client> {
    this.connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.connectionString });
      client.on('error', (error) => this.client === client && this.drop(error));
      client.on('end', () => this.client === client && this.drop(new Error('the database connection ended')));
      try {
        await client.connect();
      } catch (error) {
        this.connecting = null;
        throw error;
      }
      const con = client.connection;
      for (const event of ANSWERS) con.removeAllListeners(event);
      con.on('rowDescription', (m: RowDescription) => {
        this.rows = { rows: [] };
        this.parsers = m.fields.map((f) => ({ name: f.name, parse: pg.types.getTypeParser(f.dataTypeID, 'text') }));
      });
      con.on('dataRow', (m: DataRow) => {
        const row: Record<string, unknown> = {};
        m.fields.forEach((v, i) => {
          const p = this.parsers[i]!;
          row[p.name] = v === null ? null : p.parse(v);
        });
        this.rows?.rows.push(row);
      });
      const complete = () => {
        this.sent[0]?.results.push(this.rows ?? { rows: [] });
        this.rows = null;
      };
      con.on('commandComplete', complete);
      con.on('emptyQuery', complete);
      con.on('errorMessage', (error: unknown) => {
        const head = this.sent[0];
        if (head) head.error ??= error;
        this.rows = null;
      });
      con.on('readyForQuery', () => {
        const head = this.sent.shift();
        if (head) {
          if (head.error) head.reject(head.error);
          else head.resolve(head.results);
        }
        if (this.sent.length === 0) this.rest(client);
      });
      this.prepared.clear();
      this.client = client;
      this.connecting = null;
      this.rest(client);
      return client;
    })();
    return this.connecting;
  }

  /** Nothing unanswered: the socket no longer holds the process, and the connection closes if it stays idle. */
  private rest(client: pg.Client): void {
    socketOf(client).unref();
    this.idle = setTimeout(() => this.client === client && this.sent.length === 0 && this.close(), this.idleMs);
    this.idle.unref();
  }

  private drop(error: unknown): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    this.client = null;
    this.rows = null;
    const sent = this.sent;
    this.sent = [];
    for (const s of sent) s.reject(error);
  }
}

const socketOf = (client: pg.Client) => client.connection.stream as unknown as { ref(): void; unref(): void };
