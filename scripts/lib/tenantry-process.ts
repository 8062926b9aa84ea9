/**
 * Runs Tenantry (src/main.ts through ts-node in SWC mode) as a child process on a throwaway database, for the
 * demo, the crash test and the benchmarks: a real process that can be SIGKILLed and started again on the
 * same database.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface TenantryProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** A port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

async function isLive(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/healthz`)).status === 200;
  } catch {
    return false;
  }
}

/** The production build exactly (application and migrations), as `npm run build` makes it, into dist/. */
export function buildProduction(): void {
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
}

/** The node arguments of `npm run start:prod` (`node <flags> dist/src/main.js`), paths made absolute. */
export function productionNodeArguments(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const [command, ...args] = scripts['start:prod'].split(/\s+/);
  if (command !== 'node') {
    throw new Error(`start:prod is expected to run node, not ${command}`);
  }
  return args.map((arg) => (arg.startsWith('-') ? arg : join(ROOT, arg)));
}

/**
 * Starts Tenantry with `env` (merged over PATH only: nothing leaks in from the caller's environment) and
 * resolves once /healthz answers, whatever LOG_LEVEL says.
 */
export async function startTenantryProcess(
  env: Record<string, string>,
  options: {
    cwd?: string;
    startTimeoutMs?: number;
    /** Run the production build as `npm run start:prod` does (built first with `npm run build`): benchmarks. */
    compiled?: boolean;
    /** With `compiled`: build first (default). False when an earlier start in the same run has built dist/. */
    build?: boolean;
  } = {},
): Promise<TenantryProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  if (options.compiled && options.build !== false) {
    buildProduction();
  }
  const entry = options.compiled
    ? productionNodeArguments()
    : ['-r', 'ts-node/register', join(ROOT, 'src', 'main.ts')];
  const child = spawn(process.execPath, entry, {
    cwd: options.cwd ?? ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
      HOST: '127.0.0.1',
      PORT: String(port),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  while (!(await isLive(url))) {
    if (exitedEarly) {
      throw new Error(`Tenantry exited before listening:\n${output}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Tenantry did not start in time:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    pid: child.pid ?? 0,
    child,
    output: () => output,
    exited,
    kill: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
      }
      await exited;
    },
  };
}

/**
 * The environment of a throwaway Tenantry on `directory`: its own database (a SQLite file there unless
 * `databaseUrl` names one from createThrowawayDatabase) and dev vault key file, a JWT secret that survives
 * restarts of the process, and `admin` as the first staff user.
 */
export function throwawayInstanceEnv(
  directory: string,
  admin: { email: string; password: string },
  databaseUrl = `sqlite:${join(directory, 'tenantry.sqlite')}`,
): Record<string, string> {
  return {
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    VAULT_KEY_FILE: join(directory, 'vault-keys.dev'),
    JWT_SECRET: randomBytes(32).toString('base64url'),
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
  };
}
