import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { NestExpressApplication } from '@nestjs/platform-express';
import { __resetOutOfContextForTests } from 'nestjs-pino/PinoLogger';
import type { App } from 'supertest/types';

import { createApp, type CreateAppOptions } from '../../src/app.setup';
import type { AppConfig } from '../../src/config/app-config';
import { loadConfig, type RawEnvironment } from '../../src/config/load-config';

export interface TestApp {
  app: NestExpressApplication;
  server: App;
  config: AppConfig;
  /** Every JSON log line the app wrote, in order. */
  logs: string[];
  directory: string;
  close(): Promise<void>;
}

/** A fresh temp folder; the harness refuses to point a test at any database outside it. */
export function makeTempDirectory(prefix = 'tenantry-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Boots the real AppModule through `createApp` (the function main.ts uses) on its own temp SQLite file,
 * capturing log lines in memory.
 */
export async function startTestApp(
  env: RawEnvironment = {},
  options: CreateAppOptions = {},
): Promise<TestApp> {
  const directory = makeTempDirectory();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: `sqlite:${join(directory, 'tenantry.sqlite')}`,
    VAULT_KEY_FILE: join(directory, 'vault-keys.dev'),
    ...env,
  });
  const database = config.database;
  if (database.kind === 'sqlite' && !database.path.startsWith(tmpdir())) {
    throw new Error(`Refusing to run tests against a database outside ${tmpdir()}: ${database.path}`);
  }
  const logs: string[] = [];
  const app = await createApp(config, {
    logDestination: { write: (line: string) => logs.push(line) },
    ...options,
  });
  await app.init();
  return {
    app,
    server: app.getHttpServer() as App,
    config,
    logs,
    directory,
    close: async () => {
      await app.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Parsed log lines, for assertions on fields. */
export function parsedLogs(logs: string[]): Record<string, unknown>[] {
  return logs.map((line) => JSON.parse(line) as Record<string, unknown>);
}
