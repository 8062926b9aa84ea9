/**
 * Busy loops competing for the CPU beside a run, as on a busy production box or a shared CI machine: the same
 * `node -e 'for (;;) {}'` processes that ../shared/tools/under-load starts (two by default, one per core of the
 * development machine). Ended by their own process ids, never by name.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface CpuHog {
  pids: number[];
  stop(): Promise<void>;
}

export function startCpuHog(loops = 2): CpuHog {
  const children: ChildProcess[] = Array.from({ length: loops }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
  return {
    pids: children.map((child) => child.pid ?? 0),
    stop: async () => {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) {
                resolve();
                return;
              }
              child.once('exit', () => resolve());
              child.kill('SIGKILL');
            }),
        ),
      );
    },
  };
}
