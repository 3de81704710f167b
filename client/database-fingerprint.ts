import { sha256Hex } from '../domain/non-workflow/sha256';

/**
 * The database a process uses, as 16 hex digits of a hash of host, port and database name: `warden
 * status` compares its own with the one the HTTP API reports, without /healthz (public) saying
 * where the database is or who connects to it.
 */
export function databaseFingerprint(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return sha256Hex(`${url.hostname}:${url.port || '5432'}${url.pathname}`).slice(0, 16);
  } catch {
    return sha256Hex(databaseUrl).slice(0, 16);
  }
}
