import { spawn } from 'node:child_process';
import { chmod, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { freePort } from './child-process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandExists, runProcess } from './run-process';
import { withLock } from './file-lock';
import { ToolchainError } from './toolchain-error';

const POM = fileURLToPath(new URL('./maven/pom.xml', import.meta.url));
const MAIN_CLASS = 'io.temporal.testserver.TestServer';

/**
 * @temporalio/testing gives the server 5 s to answer gRPC. Measured on the 2-core dev machine
 * (three servers starting at once next to a busy core): plain `java` took 2.5–8 s, these options
 * plus the class-data-sharing archive 0.9–1.7 s. C1 only and the serial collector also keep a
 * server from competing with the tests for the two cores once it runs.
 */
const JVM_OPTIONS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];

interface Layout {
  dir: string;
  lib: string;
  archive: string;
  wrapper: string;
  marker: string;
}

/** What the cache was built with; a different server version or JVM means building again. */
interface Marker {
  version: string;
  java: string;
  archive: boolean;
}

/**
 * The fallback time-skipping server where no native one can be fetched: the Java test server
 * resolved through Maven once, run by a wrapper script (with a class-data-sharing archive for a
 * quick start). Returns the wrapper's path; the SDK runs it as `<path> <port> [extraArgs…]`, which
 * TestServer takes as `<port> [--enable-time-skipping]` (without the flag time skipping starts
 * locked and the SDK's client unlocks it while it awaits a result).
 */
export async function ensureJavaTestServer(cacheDir: string, onProgress: (line: string) => void): Promise<string> {
  const version = await testServerVersion();
  const layout = layoutFor(cacheDir, version);
  const java = await javaVersion();
  if (await isComplete(layout, version, java)) return layout.wrapper;
  return withLock(`${layout.dir}.lock`, async () => {
    if (!(await isComplete(layout, version, java))) await build(layout, version, java, onProgress);
    return layout.wrapper;
  });
}

/** The pom is the one place the version is written down. */
async function testServerVersion(): Promise<string> {
  const match = /<testServerVersion>([^<]+)<\/testServerVersion>/.exec(await readFile(POM, 'utf8'));
  if (!match?.[1]) throw new ToolchainError(`${POM} has no <testServerVersion> property`);
  return match[1].trim();
}

function layoutFor(cacheDir: string, version: string): Layout {
  const dir = join(cacheDir, `temporal-test-server-${version}`);
  return {
    dir,
    lib: join(dir, 'lib'),
    archive: join(dir, 'app-cds.jsa'),
    wrapper: join(dir, 'temporal-test-server'),
    marker: join(dir, 'complete.json'),
  };
}

async function javaVersion(): Promise<string> {
  const missing = new ToolchainError(
    'The Temporal time-skipping test server runs on Java and `java` was not found. ' +
      'Install it (Debian: `apt-get install openjdk-17-jre-headless`), then run again.',
  );
  try {
    const r = await runProcess('java', ['-version']);
    if (r.code !== 0) throw missing;
    return r.stderr.trim();
  } catch {
    throw missing;
  }
}

async function isComplete(layout: Layout, version: string, java: string): Promise<boolean> {
  try {
    const marker = JSON.parse(await readFile(layout.marker, 'utf8')) as Marker;
    return marker.version === version && marker.java === java && (await stat(layout.wrapper)).isFile();
  } catch {
    return false;
  }
}

/** The marker is written last, so an interrupted build is found incomplete and redone. */
async function build(layout: Layout, version: string, java: string, onProgress: (line: string) => void): Promise<void> {
  if (!(await commandExists('mvn'))) {
    throw new ToolchainError(
      'The Temporal time-skipping test server is not cached and `mvn` is not installed to fetch it. ' +
        'Install Maven (Debian: `apt-get install maven`), then run again.',
    );
  }
  await rm(layout.dir, { recursive: true, force: true });
  await mkdir(layout.lib, { recursive: true });
  onProgress(`fetching io.temporal:temporal-test-server:${version} and its dependencies with Maven (first run only)…`);
  const mvn = await runProcess(
    'mvn',
    [
      '-B',
      '-Dstyle.color=never',
      '-f',
      POM,
      `-DtestServerVersion=${version}`,
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${layout.lib}`,
    ],
    { onLine: (line) => reportMavenLine(line, onProgress) },
  );
  if (mvn.code !== 0) {
    throw new ToolchainError(
      `Maven could not fetch the test server (exit ${mvn.code}):\n${(mvn.stdout + mvn.stderr).slice(-3000)}`,
    );
  }
  const jars = (await readdir(layout.lib)).filter((name) => name.endsWith('.jar')).sort();
  // The archive records this exact classpath; the wrapper must repeat it verbatim to use it.
  const classpath = jars.map((name) => join(layout.lib, name)).join(':');
  const archive = await generateArchive(layout, classpath, onProgress);
  await writeFile(layout.wrapper, wrapperScript(version, classpath, archive ? layout.archive : undefined));
  await chmod(layout.wrapper, 0o755);
  const marker: Marker = { version, java, archive };
  await writeFile(layout.marker, JSON.stringify(marker, null, 2));
  onProgress(`test server ready: ${layout.wrapper}${archive ? '' : ' (without class-data-sharing archive)'}`);
}

/** Debian's mvn writes colour resets even in batch mode; they would show up as empty lines. */
function reportMavenLine(line: string, onProgress: (line: string) => void): void {
  const text = line.replace(/\u001b\[[0-9;]*m/g, '').trim();
  if (text) onProgress(`  ${text}`);
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function wrapperScript(version: string, classpath: string, archive: string | undefined): string {
  const options = [...(archive ? [`-XX:SharedArchiveFile=${archive}`, '-Xshare:auto'] : []), ...JVM_OPTIONS];
  return [
    '#!/bin/sh',
    `# Temporal Java time-skipping test server ${version}, written by toolchain/test-server.ts.`,
    '# Usage: temporal-test-server <port> [--enable-time-skipping]',
    `exec java ${options.map(shellQuote).join(' ')} -cp ${shellQuote(classpath)} ${MAIN_CLASS} "$@"`,
    '',
  ].join('\n');
}

/**
 * Records the classes a start-up and a first gRPC call load (a dynamic CDS archive, written when
 * the JVM exits) so later starts map them instead of loading and verifying ~4,000 classes. Any
 * failure only costs start-up time, so it is reported and the server runs without the archive.
 */
async function generateArchive(
  layout: Layout,
  classpath: string,
  onProgress: (line: string) => void,
): Promise<boolean> {
  onProgress('generating a class-data-sharing archive for fast test-server start-up…');
  try {
    const port = await freePort();
    const child = spawn(
      'java',
      [`-XX:ArchiveClassesAtExit=${layout.archive}`, ...JVM_OPTIONS, '-cp', classpath, MAIN_CLASS, String(port)],
      {
        stdio: 'ignore',
      },
    );
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await waitForFrontend(port, () => child.exitCode !== null);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    const check = await runProcess('java', [
      `-XX:SharedArchiveFile=${layout.archive}`,
      '-Xshare:on',
      ...JVM_OPTIONS,
      '-cp',
      classpath,
      '-version',
    ]);
    if (check.code !== 0) throw new Error(check.stderr.trim().split('\n').slice(-2).join(' '));
    return true;
  } catch (err) {
    onProgress(
      `no class-data-sharing archive (${err instanceof Error ? err.message : String(err)}); the server will start more slowly`,
    );
    await rm(layout.archive, { force: true });
    return false;
  }
}

async function waitForFrontend(port: number, hasExited: () => boolean): Promise<void> {
  const { Connection } = await import('@temporalio/client');
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (hasExited()) throw new Error('the test server exited during the training run');
    try {
      const connection = await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: 2_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
