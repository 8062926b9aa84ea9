/**
 * Busy loops competing for the CPU beside a run, as on a busy production box or a shared CI machine: the
 * `node -e 'for (;;) {}'` processes that ../shared/tools/under-load starts (two by default, one per core of the
 * development machine). Ended by their own process ids, never by name. Unlike under-load's, each loop also
 * ends itself once its parent is gone (checked about every 50 ms of spinning), so a suite that was killed
 * does not leave two cores burning on a shared machine.
 */
import { type ChildProcess, spawn } from 'node:child_process';

const BUSY_LOOP = `const parent = process.ppid;
for (let spins = 1; ; spins++) {
  if (spins % 50000000 === 0) {
    try { process.kill(parent, 0); } catch { process.exit(0); }
  }
}`;

export interface CpuHog {
  pids: number[];
  stop(): Promise<void>;
}

export function startCpuHog(loops = 2): CpuHog {
  const children: ChildProcess[] = Array.from({ length: loops }, () =>
    spawn(process.execPath, ['-e', BUSY_LOOP], { stdio: 'ignore' }),
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
