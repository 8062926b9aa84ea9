import { resolve } from 'node:path';

import type { EnvironmentVariables } from './environment.schema';

export type DatabaseSettings =
  | { kind: 'sqlite'; path: string; migrationsRun: boolean; logging: boolean }
  | { kind: 'postgres'; url: string; migrationsRun: boolean; logging: boolean };

/**
 * The validated configuration, read once at boot, behind typed getters. Injected as a class token so tests
 * can build one with `loadConfig({...})` and hand it to `createApp`.
 */
export class AppConfig {
  constructor(private readonly env: Readonly<EnvironmentVariables>) {}

  get isProduction(): boolean {
    return this.env.NODE_ENV === 'production';
  }

  get nodeEnv(): EnvironmentVariables['NODE_ENV'] {
    return this.env.NODE_ENV;
  }

  get http(): {
    port: number;
    host: string;
    bodyLimit: string;
    corsOrigins: string[];
    shutdownTimeoutMs: number;
  } {
    return {
      port: this.env.PORT,
      host: this.env.HOST,
      bodyLimit: this.env.BODY_LIMIT,
      corsOrigins: this.env.CORS_ORIGINS.split(',')
        .map((origin) => origin.trim())
        .filter((origin) => origin.length > 0),
      shutdownTimeoutMs: this.env.SHUTDOWN_TIMEOUT_MS,
    };
  }

  get logLevel(): EnvironmentVariables['LOG_LEVEL'] {
    return this.env.LOG_LEVEL;
  }

  get database(): DatabaseSettings {
    const url = this.env.DATABASE_URL;
    const common = { migrationsRun: this.env.DB_MIGRATIONS_RUN, logging: this.env.DB_LOGGING };
    if (url.startsWith('sqlite:')) {
      return { kind: 'sqlite', path: resolve(url.slice('sqlite:'.length)), ...common };
    }
    return { kind: 'postgres', url, ...common };
  }

  get readiness(): { databaseTimeoutMs: number } {
    return { databaseTimeoutMs: this.env.READINESS_DB_TIMEOUT_MS };
  }

  get metricsToken(): string | undefined {
    return this.env.METRICS_TOKEN;
  }
}
