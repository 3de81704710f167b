import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../toolchain/child-process';

export interface DebianPostgres {
  url: string;
  stop(): void;
}

function binDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(a) - Number(b));
  const newest = versions[versions.length - 1];
  return newest ? join(root, newest, 'bin') : null;
}

/**
 * A throwaway cluster of Debian's PostgreSQL, as .ci/run starts one: owned by `postgres` when we
 * are root (the server refuses to run as root), trust auth, fsync off. Null when none is installed.
 */
export async function startDebianPostgres(): Promise<DebianPostgres | null> {
  const bin = binDir();
  if (!bin) return null;
  const root = userInfo().uid === 0;
  const data = mkdtempSync(join(tmpdir(), 'warden-bench-pg-'));
  const run = (cmd: string, args: string[]) => {
    const r = root
      ? spawnSync('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { encoding: 'utf8' })
      : spawnSync(join(bin, cmd), args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
  };
  if (root) chownSync(data, uidOf('postgres'), -1);
  const port = await freePort();
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres']);
  run('pg_ctl', [
    '-D',
    data,
    '-o',
    `-p ${port} -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off`,
    '-l',
    join(data, 'server.log'),
    '-w',
    'start',
  ]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'fast', 'stop']);
      } finally {
        rmSync(data, { recursive: true, force: true });
      }
    },
  };
}

function uidOf(user: string): number {
  const r = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`no user ${user}: ${r.stderr}`);
  return Number.parseInt(r.stdout.trim(), 10);
}
