/**
 * A fresh clone of this checkout's HEAD in a temp folder, and README commands run there as a new user runs
 * them: `npm <script>` as its own process group (so stopping it stops everything it started, as Ctrl-C in a
 * terminal does), with a minimal environment (nothing leaks in from the test runner: no DATABASE_URL, no
 * TEST_*, no TS_NODE_PROJECT pointing back at this checkout).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The checkout the tier runs in (the one `npm test` was started in). */
export const CHECKOUT = join(__dirname, '..', '..');

export function say(line: string): void {
  process.stdout.write(`start tier: ${line}\n`);
}

function git(args: string[], cwd: string): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export interface FreshClone {
  dir: string;
  commit: string;
  remove(): void;
}

/**
 * Clones the committed HEAD of the checkout (a branch or a detached CI checkout alike: HEAD is fetched by name,
 * then checked out detached and compared) into a new temp folder, and gives it the checkout's node_modules.
 *
 * node_modules is a symlink to the checkout's, not a copy and not a second `npm ci`: CI has just run `npm ci`
 * from the same package-lock.json in the checkout, so those are the very packages a fresh install gives (a copy
 * is 400 MB per run; a second `npm ci` downloads again and builds sqlite3 for a minute). It cannot make the
 * clone use the checkout's own code: Node resolves a package to its real path under the checkout's
 * node_modules, and from there only packages resolve, never files of the checkout (the app's files are loaded by
 * path from the clone, the TypeORM entity glob and nest's compiler work from the clone's folders, and the
 * environment has no TS_NODE_PROJECT). Nothing the commands run writes into node_modules.
 * Uncommitted changes of the checkout are not in the clone; the tier says so when there are any.
 */
export function cloneCheckout(): FreshClone {
  const commit = git(['rev-parse', 'HEAD'], CHECKOUT);
  const dirty = git(['status', '--porcelain', '--untracked-files=no'], CHECKOUT);
  const dir = join(mkdtempSync(join(tmpdir(), 'tenantry-fresh-clone-')), 'tenantry');
  git(['clone', '--quiet', '--no-checkout', CHECKOUT, dir], CHECKOUT);
  git(['fetch', '--quiet', CHECKOUT, 'HEAD'], dir);
  git(['checkout', '--quiet', '--detach', 'FETCH_HEAD'], dir);
  const cloned = git(['rev-parse', 'HEAD'], dir);
  if (cloned !== commit) {
    throw new Error(`the clone is at ${cloned}, not at the checkout's HEAD ${commit}`);
  }
  symlinkSync(join(CHECKOUT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  say(`git clone ${CHECKOUT} → ${dir} at ${commit.slice(0, 12)}; node_modules → the checkout's (symlink)`);
  if (dirty !== '') {
    say(`note: ${dirty.split('\n').length} uncommitted change(s) in the checkout are not part of this test`);
  }
  return { dir, commit, remove: () => rmSync(join(dir, '..'), { recursive: true, force: true }) };
}

/**
 * The files of the checkout itself (not its node_modules) that loading `entry` in the clone pulls in: none, or
 * the clone is not testing its own code. `require.cache` holds every CommonJS file loaded, by real path.
 */
export function checkoutFilesLoadedBy(entry: string, clone: FreshClone): string[] {
  const script = `
    require(${JSON.stringify(entry)});
    const checkout = ${JSON.stringify(`${CHECKOUT}/`)};
    const own = Object.keys(require.cache).filter(
      (file) => file.startsWith(checkout) && !file.startsWith(checkout + 'node_modules/'),
    );
    process.stdout.write(JSON.stringify(own));
    process.exit(0);`;
  const output = execFileSync(process.execPath, ['-e', script], {
    cwd: clone.dir,
    env: minimalEnv(),
    encoding: 'utf8',
  });
  return JSON.parse(output) as string[];
}

/** PATH and HOME only (npm needs both), plus npm's network-free switches and what the caller adds. */
export function minimalEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    ...extra,
  };
}

/** Live processes (Linux /proc) whose working directory is inside `dir`: what a command left behind. */
export function processesUnder(dir: string): string[] {
  if (!existsSync('/proc/self/cwd')) {
    return [];
  }
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .flatMap((pid) => {
      try {
        const cwd = readlinkSync(`/proc/${pid}/cwd`);
        if (cwd !== dir && !cwd.startsWith(`${dir}/`)) {
          return [];
        }
        const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
        const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
        return state === 'Z' ? [] : [`${pid} ${command}`];
      } catch {
        return []; // gone meanwhile, or not ours to read
      }
    });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface NpmProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM to the whole group; resolves once every process of it has exited (SIGKILL after `graceMs`). */
  stop(graceMs: number): Promise<{ seconds: number; killed: boolean }>;
}

/** Live groups started here, for the afterAll safety net. */
const liveGroups = new Set<number>();

/** Starts `npm <args>` in `cwd` as the leader of a new process group. */
export function spawnNpm(args: string[], cwd: string, env: Record<string, string>): NpmProcess {
  const child = spawn('npm', args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pgid = child.pid ?? 0;
  liveGroups.add(pgid);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const stop = async (graceMs: number): Promise<{ seconds: number; killed: boolean }> => {
    const started = Date.now();
    if (groupAlive(pgid)) {
      process.kill(-pgid, 'SIGTERM');
    }
    let killed = false;
    const deadline = started + graceMs;
    while (groupAlive(pgid) || (child.exitCode === null && child.signalCode === null)) {
      if (Date.now() > deadline && !killed) {
        killed = true;
        process.kill(-pgid, 'SIGKILL');
      }
      await sleep(50);
    }
    liveGroups.delete(pgid);
    return { seconds: (Date.now() - started) / 1000, killed };
  };
  return { child, output: () => output, exited, stop };
}

/** Runs `npm <args>` to its end within `timeoutMs` (then its whole group is killed and the result says so). */
export async function runNpm(
  args: string[],
  cwd: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<{ code: number | null; output: string; seconds: number; timedOut: boolean }> {
  const started = Date.now();
  const running = spawnNpm(args, cwd, env);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>(
    (resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)),
  );
  const outcome = await Promise.race([running.exited, timeout]);
  clearTimeout(timer);
  // On time-out, and also after npm's own exit: a child may outlive it in the group, and none may stay behind.
  await running.stop(5000);
  return {
    code: outcome === 'timeout' ? null : outcome.code,
    output: running.output(),
    seconds: (Date.now() - started) / 1000,
    timedOut: outcome === 'timeout',
  };
}

/** SIGKILLs every group started here that is still alive (afterAll, after a failed test). */
export function killLeftoverGroups(): void {
  for (const pgid of liveGroups) {
    if (groupAlive(pgid)) {
      process.kill(-pgid, 'SIGKILL');
    }
  }
  liveGroups.clear();
}

/** Resolves with the first match of `pattern` in the process's output; rejects when it exits or time runs out. */
export async function waitForOutput(
  running: NpmProcess,
  pattern: RegExp,
  timeoutMs: number,
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = running.output().match(pattern);
    if (match) {
      return match;
    }
    if (running.child.exitCode !== null || running.child.signalCode !== null) {
      throw new Error(`exited (${running.child.exitCode ?? running.child.signalCode}) before ${pattern}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`no ${pattern} within ${timeoutMs / 1000} s`);
    }
    await sleep(100);
  }
}

/** GET `url` until it answers 200 (connection refused and other statuses are retried) or time runs out. */
export async function waitFor200(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.status === 200) {
        return;
      }
      last = `status ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      throw new Error(`${url} did not answer 200 within ${timeoutMs / 1000} s (last: ${last})`);
    }
    await sleep(200);
  }
}
