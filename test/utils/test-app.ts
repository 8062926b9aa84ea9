import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { NestExpressApplication } from '@nestjs/platform-express';
import { __resetOutOfContextForTests } from 'nestjs-pino/PinoLogger';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import type { App } from 'supertest/types';

import { createApp, type CreateAppOptions } from '../../src/app.setup';
import type { AppConfig } from '../../src/config/app-config';
import { loadConfig, type RawEnvironment } from '../../src/config/load-config';
import { freshTestDatabase } from './test-database';

export interface TestApp {
  app: NestExpressApplication;
  server: App;
  config: AppConfig;
  /** Every JSON log line the app wrote, in order. */
  logs: string[];
  directory: string;
  /** Requests as the bootstrap admin (an admin API key), for tests whose subject is not authorization. */
  http: TestAgent;
  /** Requests as a fresh API key with this staff role. */
  as(role: StaffRole): Promise<TestAgent>;
  close(): Promise<void>;
}

export type StaffRole = 'viewer' | 'operator' | 'admin';

/** The first admin every test app is booted with (ADMIN_EMAIL / ADMIN_PASSWORD on an empty database). */
export const TEST_ADMIN = { email: 'admin@tenantry.test', password: 'test-admin-password-1' } as const;

/** An agent that sends `X-API-Key` on every request. */
export function agentWithKey(server: App, apiKey: string): TestAgent {
  return request.agent(server).set('X-API-Key', apiKey);
}

/** Signs in as the bootstrap admin and creates an API key with `role`; returns its secret. */
export async function createApiKey(server: App, role: StaffRole): Promise<string> {
  const login = await request(server).post('/v1/auth/login').send(TEST_ADMIN).expect(200);
  const { access_token: accessToken } = login.body as { access_token: string };
  const created = await request(server)
    .post('/v1/api-keys')
    .set('Authorization', `Bearer ${accessToken}`)
    .send({ name: `test ${role}`, role })
    .expect(201);
  return (created.body as { secret: string }).secret;
}

/** A fresh temp folder; the harness refuses to point a test at any database outside it. */
export function makeTempDirectory(prefix = 'tenantry-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Boots the real AppModule through `createApp` (the function main.ts uses) on its own fresh database (a temp
 * SQLite file, or in the PostgreSQL run a new PostgreSQL database dropped by `close`) unless `env` names one,
 * capturing log lines in memory.
 */
export async function startTestApp(
  env: RawEnvironment = {},
  options: CreateAppOptions = {},
): Promise<TestApp> {
  const directory = makeTempDirectory();
  const ownDatabase = env.DATABASE_URL === undefined ? await freshTestDatabase(directory) : undefined;
  const discard = async (): Promise<void> => {
    await ownDatabase?.drop();
    rmSync(directory, { recursive: true, force: true });
  };
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: ownDatabase?.url,
    VAULT_KEY_FILE: join(directory, 'vault-keys.dev'),
    ADMIN_EMAIL: TEST_ADMIN.email,
    ADMIN_PASSWORD: TEST_ADMIN.password,
    // Tests deliver alerts to receivers on this machine's loopback; production admits public addresses only.
    OUTBOUND_ALLOW_CIDRS: '127.0.0.0/8,::1/128',
    ...env,
  });
  const database = config.database;
  if (database.kind === 'sqlite' && !database.path.startsWith(tmpdir())) {
    throw new Error(`Refusing to run tests against a database outside ${tmpdir()}: ${database.path}`);
  }
  const logs: string[] = [];
  const boot = async (): Promise<NestExpressApplication> => {
    const created = await createApp(config, {
      logDestination: { write: (line: string) => logs.push(line) },
      ...options,
    });
    await created.init();
    return created;
  };
  const app = await boot().catch(async (error: unknown) => {
    // A refused boot (tests of the boot checks) leaves no database behind either.
    await discard();
    throw error;
  });
  const server = app.getHttpServer() as App;
  return {
    app,
    server,
    config,
    logs,
    directory,
    http: agentWithKey(server, await createApiKey(server, 'admin')),
    as: async (role) => agentWithKey(server, await createApiKey(server, role)),
    close: async () => {
      await app.close();
      await discard();
    },
  };
}

/** Parsed log lines, for assertions on fields. */
export function parsedLogs(logs: string[]): Record<string, unknown>[] {
  return logs.map((line) => JSON.parse(line) as Record<string, unknown>);
}
