import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface RunningChild {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first stdout match of the pattern, or rejects when the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs a TypeScript entry point of this repo (through ts-node in SWC mode) in another working directory. */
export function spawnTs(
  entry: string,
  options: { cwd: string; env?: Record<string, string>; args?: string[] },
): RunningChild {
  const child = spawn(
    process.execPath,
    ['-r', join(ROOT, 'node_modules', 'ts-node', 'register'), join(ROOT, entry), ...(options.args ?? [])],
    {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), ...options.env },
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitFor = (pattern: RegExp, timeoutMs = 20000): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${pattern}; stderr: ${err}`)),
        timeoutMs,
      );
      const check = (): void => {
        const match = out.match(pattern);
        if (match) {
          clearTimeout(timer);
          child.stdout.off('data', check);
          resolve(match);
        }
      };
      child.stdout.on('data', check);
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`process exited before ${pattern}; stderr: ${err}`));
      });
      check();
    });
  return { child, stdout: () => out, stderr: () => err, waitFor, exited };
}
