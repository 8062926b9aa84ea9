/**
 * The PostgreSQL server a benchmark or the chaos suite creates its throwaway databases on: the URL it was given
 * (an option or an environment variable of the caller), else a throwaway cluster from scripts/pg-throwaway.sh
 * on a free port, stopped again by `stop()`. scripts/test-all.mjs does the same for `npm test` (plain ESM, so
 * it cannot import this file).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { freePort } from './tenantry-process';

const PG_SCRIPT = join(__dirname, '..', 'pg-throwaway.sh');

export interface PostgresServer {
  /** A server URL; its own database is only used to connect (createThrowawayDatabase makes a fresh one). */
  url: string;
  /** Stops and removes the throwaway cluster; nothing for a server that was given. */
  stop(): void;
}

export async function providePostgresServer(given?: string): Promise<PostgresServer> {
  if (given) {
    return { url: given, stop: () => undefined };
  }
  const env = { ...process.env, PG_THROWAWAY_PORT: String(await freePort()) };
  const url =
    execFileSync('bash', [PG_SCRIPT, 'start'], { env, encoding: 'utf8' }).trim().split('\n').pop() ?? '';
  return { url, stop: () => execFileSync('bash', [PG_SCRIPT, 'stop'], { env, stdio: 'ignore' }) };
}
