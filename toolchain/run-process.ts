import { spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, handing each output line to `onLine` as it arrives; `input` is its stdin. */
export function runProcess(
  command: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; onLine?: (line: string) => void } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    const feed = (chunk: Buffer, sink: 'out' | 'err') => {
      const text = chunk.toString();
      if (sink === 'out') stdout += text;
      else stderr += text;
      if (opts.onLine) for (const line of text.split('\n')) if (line.trim()) opts.onLine(line.trimEnd());
    };
    child.stdout.on('data', (c: Buffer) => feed(c, 'out'));
    child.stderr.on('data', (c: Buffer) => feed(c, 'err'));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
    // A child that exits without reading its stdin closes the pipe (EPIPE): its exit code says
    // what happened, so that is no error of ours. Without input it reads end-of-file at once.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Whether `command` runs; `args` is what makes it print its version and exit 0 (`go version`, not `go --version`). */
export async function commandExists(command: string, args: string[] = ['--version']): Promise<boolean> {
  try {
    const r = await runProcess(command, args);
    return r.code === 0;
  } catch {
    return false;
  }
}
