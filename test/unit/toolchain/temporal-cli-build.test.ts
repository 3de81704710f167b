import { access, chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureTemporalCli } from '../../../toolchain/temporal-cli';

/**
 * A stand-in `go` on PATH: it answers the listing with a small package list and, asked for -v,
 * names packages on stderr as the real one does while compiling, mixed with other output. It
 * writes a `temporal` that reports a compatible server. Like the real one it refuses `--version`.
 * Every call is logged with its directory.
 */
const FAKE_GO = `#!/bin/sh
echo "$(pwd) $*" >> "$FAKE_GO_LOG"
case "$1" in
  version) echo "go version go1.26.0 linux/amd64" ;;
  mod) printf '{\\n\\t"Path": "github.com/temporalio/cli",\\n\\t"Version": "v1.5.1",\\n\\t"Dir": "%s"\\n}\\n' "$FAKE_MODULE_DIR" ;;
  list)
    if [ -n "$FAKE_LIST_FAILS" ]; then echo "go: updates to go.mod needed" >&2; exit 1; fi
    echo "go: downloading github.com/spf13/cobra v1.9.1" >&2
    echo "go: downloading go.temporal.io/server v1.29.1" >&2
    printf 'unsafe\\ninternal/abi\\nruntime\\ngithub.com/spf13/cobra\\ngithub.com/temporalio/cli/cmd/temporal\\n' ;;
  install)
    if [ "$2" = "-v" ]; then
      printf 'internal/abi\\nruntime\\n# github.com/spf13/cobra\\nnote: a warning of the compiler\\ngithub.com/spf13/cobra\\ngithub.com/temporalio/cli/cmd/temporal\\n' >&2
    fi
    printf '#!/bin/sh\\necho "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)"\\n' > "$GOBIN/temporal"
    chmod +x "$GOBIN/temporal" ;;
  *) echo "flag provided but not defined: $1" >&2; exit 2 ;;
esac
`;
/** Shadows any real Temporal CLI on PATH with one too old to use, so the build path is taken. */
const OLD_TEMPORAL = `#!/bin/sh\necho "temporal version 1.0.0 (Server 1.20.0, UI 2.10.0)"\n`;
const LISTED = [
  'unsafe',
  'internal/abi',
  'runtime',
  'github.com/spf13/cobra',
  'github.com/temporalio/cli/cmd/temporal',
];

let root: string;
let cacheDir: string;
let log: string;
const saved = { ...process.env };

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'warden-fake-go-'));
  const bin = join(root, 'bin');
  cacheDir = join(root, 'cache');
  log = join(root, 'go.log');
  await mkdir(bin);
  await mkdir(join(root, 'module'));
  await writeFile(join(bin, 'go'), FAKE_GO);
  await writeFile(join(bin, 'temporal'), OLD_TEMPORAL);
  await chmod(join(bin, 'go'), 0o755);
  await chmod(join(bin, 'temporal'), 0o755);
  // Only what the stand-ins run: no python3 (so no wheel can be fetched) and no real go.
  await symlink('/bin/chmod', join(bin, 'chmod'));
  Object.assign(process.env, { PATH: bin, FAKE_GO_LOG: log, FAKE_MODULE_DIR: join(root, 'module') });
  delete process.env.FAKE_LIST_FAILS;
});

afterEach(async () => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  await rm(root, { recursive: true, force: true });
});

async function build(withSteps: boolean) {
  const lines: string[] = [];
  const steps: { done: number; total: number | undefined; phase: string }[] = [];
  const binary = await ensureTemporalCli(
    cacheDir,
    (line) => lines.push(line),
    withSteps ? (done, total, phase) => steps.push({ done, total, phase }) : undefined,
  );
  const calls = (await readFile(log, 'utf8')).trim().split('\n');
  return { binary, lines, steps, calls };
}

async function expectInstalled(binary: string) {
  expect(binary).toBe(join(cacheDir, 'temporal-v1.5.1', 'temporal'));
  await access(binary, constants.X_OK);
  // The scratch build directory is gone once the binary has been moved into place.
  expect((await readdir(cacheDir)).filter((name) => name.startsWith('.temporal-build-'))).toEqual([]);
}

describe('building the Temporal CLI with progress', () => {
  it('lists the packages in the module directory, then counts each one go install -v compiles', async () => {
    const { binary, lines, steps, calls } = await build(true);
    await expectInstalled(binary);

    expect(calls).toContain(`${join(root, 'module')} list -deps ./cmd/temporal`);
    expect(calls.at(-1)).toMatch(/ install -v github\.com\/temporalio\/cli\/cmd\/temporal@v1\.5\.1$/);

    expect(steps.filter((s) => s.phase === 'downloading modules')).toEqual([
      { done: 0, total: undefined, phase: 'downloading modules' },
      { done: 1, total: undefined, phase: 'downloading modules' },
      { done: 2, total: undefined, phase: 'downloading modules' },
    ]);
    const compiling = steps.filter((s) => s.phase === 'compiling packages');
    expect(compiling.every((s) => s.total === LISTED.length)).toBe(true);
    // `unsafe` is never compiled; the count still ends complete once go install succeeds.
    expect(compiling.map((s) => s.done)).toEqual([0, 1, 2, 3, 4, LISTED.length]);
    const phases = steps.map((s) => s.phase);
    expect(phases.indexOf('compiling packages')).toBeGreaterThan(phases.lastIndexOf('downloading modules'));

    // Package names and downloads are progress, not lines; what else go prints still is.
    expect(lines).toContain('  # github.com/spf13/cobra');
    expect(lines).toContain('  note: a warning of the compiler');
    expect(lines.filter((l) => LISTED.some((p) => l.trim() === p) || l.includes('go: downloading'))).toEqual([]);
    expect(lines.at(-1)).toMatch(/^Temporal CLI built in \d+ s → /);
  });

  it('says in one line that it falls back to go because python3 is not on PATH', async () => {
    const { lines } = await build(true);
    expect(lines[0]).toBe(
      'Temporal CLI: no prebuilt binary (python3 is not on PATH); falling back to go install v1.5.1 (Server 1.29.1, UI 2.42.1)',
    );
  });

  it('falls back to a plain go install when the package listing fails', async () => {
    process.env.FAKE_LIST_FAILS = '1';
    const { binary, lines, steps, calls } = await build(true);
    await expectInstalled(binary);
    expect(calls.at(-1)).toMatch(/ install github\.com\/temporalio\/cli\/cmd\/temporal@v1\.5\.1$/);
    expect(steps.map((s) => s.phase)).not.toContain('compiling packages');
    expect(lines.at(-1)).toMatch(/^Temporal CLI built in/);
  });

  it('without a step callback builds as before, with no listing', async () => {
    const { binary, calls } = await build(false);
    await expectInstalled(binary);
    expect(calls.map((c) => c.split(' ')[1])).toEqual(['version', 'install']);
  });

  it('uses the cached binary without calling go again', async () => {
    await build(true);
    await rm(log);
    await writeFile(log, '');
    const steps: string[] = [];
    expect(
      await ensureTemporalCli(
        cacheDir,
        () => undefined,
        (_d, _t, phase) => steps.push(phase),
      ),
    ).toBe(join(cacheDir, 'temporal-v1.5.1', 'temporal'));
    expect(await readFile(log, 'utf8')).toBe('');
    expect(steps).toEqual([]);
  });
});
