import type { Command } from 'commander';
import type { WardenContext } from '../client/context';
import { invalid } from '../domain/errors';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface CommandResult<T> {
  value: T;
  /** Non-zero when the command ran but what it found is a failure (e.g. a broken chain). */
  exitCode?: number;
}

/** For a check's report: printed either way, and exit 1 when it says `ok: false`. */
export function exitUnlessOk<T extends { ok: boolean }>(value: T): CommandResult<T> {
  return { value, exitCode: value.ok ? EXIT_OK : EXIT_FAILURE };
}

export function wantsJson(cmd: Command): boolean {
  return Boolean(cmd.optsWithGlobals().json);
}

const NO_STACK_HINT =
  'is the Warden stack running? Start it with `npm start` in the Warden clone, or point DATABASE_URL and TEMPORAL_ADDRESS at yours';

/**
 * The context a command runs in; the CLI's never generates a provenance key (no stack, no key)
 * and refuses to run with another key than the one the chain is signed with.
 */
async function openCliContext(): Promise<WardenContext> {
  const [{ openContext }, { refuseForeignCliKey }] = await Promise.all([
    import('../client/context'),
    import('../client/provenance-key-check'),
  ]);
  const ctx = await openContext({ createProvenanceKey: false });
  try {
    await refuseForeignCliKey(ctx);
  } catch (error) {
    await ctx.close();
    throw error;
  }
  return ctx;
}

/**
 * Runs one CLI command: opens the context (a full WardenContext unless `openContext` gives
 * something smaller), prints the result as text or `--json`, maps errors to exit codes (1
 * failure, 2 bad input) and always closes connections.
 */
export async function runCommand<T, C extends { close(): Promise<void> } = WardenContext>(
  cmd: Command,
  work: (ctx: C) => Promise<T | CommandResult<T>>,
  render: (value: T) => string,
  opts: { openContext?: () => Promise<C> } = {},
): Promise<void> {
  const json = wantsJson(cmd);
  let ctx: C | undefined;
  try {
    ctx = await (opts.openContext ?? (openCliContext as unknown as () => Promise<C>))();
    const out = await work(ctx);
    const result: CommandResult<T> =
      out !== null &&
      typeof out === 'object' &&
      'value' in out &&
      Object.keys(out).every((k) => k === 'value' || k === 'exitCode')
        ? (out as CommandResult<T>)
        : { value: out as T };
    process.stdout.write((json ? JSON.stringify(result.value, null, 2) : render(result.value)) + '\n');
    process.exitCode = result.exitCode ?? EXIT_OK;
  } catch (error) {
    const { describeError, isUnreachable } = await import('../client/errors');
    const described = describeError(error);
    const { status } = described;
    const message = isUnreachable(error) ? `${described.message} (${NO_STACK_HINT})` : described.message;
    if (json) process.stdout.write(JSON.stringify({ error: message }, null, 2) + '\n');
    else process.stderr.write(`error: ${message}\n`);
    process.exitCode = status === 400 ? EXIT_USAGE : EXIT_FAILURE;
  } finally {
    await ctx?.close().catch(() => undefined);
  }
}

/** Who a command records as its actor when one is named: `--as`, else WARDEN_PRINCIPAL, else nobody. */
export function optionalActor(cmd: Command, ctx: WardenContext): string | null {
  return (cmd.optsWithGlobals().as as string | undefined) ?? ctx.config.principal ?? null;
}

/** The principal a command acts for: `--as`, else WARDEN_PRINCIPAL. Checked against the database by the service. */
export function actingPrincipal(cmd: Command, ctx: WardenContext): string {
  const principal = optionalActor(cmd, ctx);
  if (!principal) throw invalid('this command acts for a person: pass --as <principal> or set WARDEN_PRINCIPAL');
  return principal;
}

/** Plain two-column text for the human-readable renderings. */
export function table(rows: [string, unknown][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('\n');
}
