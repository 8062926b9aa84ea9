import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';

import { Describe, Sensitive } from './environment.metadata';

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') {
    return value;
  }
  const lowered = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(lowered)) {
    return true;
  }
  if (['false', '0', 'no', 'off'].includes(lowered)) {
    return false;
  }
  return value;
};

export const NODE_ENVS = ['development', 'test', 'production'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Every environment variable Tenantry reads, with its default and meaning. `.env.example` and the README's
 * configuration table are written from this class; a spec keeps them in step.
 */
export class EnvironmentVariables {
  @Describe('Runtime mode. `production` refuses placeholder secrets and the generated sandbox defaults.')
  @IsIn(NODE_ENVS)
  NODE_ENV: (typeof NODE_ENVS)[number] = 'development';

  @Describe('TCP port of the HTTP API.')
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @Describe('Interface to listen on.')
  @IsString()
  HOST = '0.0.0.0';

  @Describe('Minimum log level: fatal, error, warn, info, debug, trace or silent.')
  @IsIn(LOG_LEVELS)
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';

  @Describe('`sqlite:<path>` (embedded, default) or `postgres://user:pass@host:5432/db` (several instances).')
  @Matches(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, {
    message: 'DATABASE_URL must be sqlite:<path> or postgres://user:pass@host:port/db',
  })
  DATABASE_URL = 'sqlite:./data/tenantry.sqlite';

  @Describe('Apply pending migrations at boot.')
  @Transform(toBoolean)
  @IsBoolean()
  DB_MIGRATIONS_RUN = true;

  @Describe('Log every SQL statement (debugging only).')
  @Transform(toBoolean)
  @IsBoolean()
  DB_LOGGING = false;

  @Describe('Timeout of the database ping behind /readyz, in milliseconds.')
  @Type(() => Number)
  @IsInt()
  @Min(50)
  @Max(60000)
  READINESS_DB_TIMEOUT_MS = 1000;

  @Describe('Largest accepted request body, e.g. `1mb` or `512kb`.')
  @Matches(/^\d+(b|kb|mb)$/i, { message: 'BODY_LIMIT must look like 512kb or 1mb' })
  BODY_LIMIT = '1mb';

  @Describe('Comma-separated origins allowed by CORS. Empty: CORS stays off.')
  @IsString()
  CORS_ORIGINS = '';

  @Describe('How long a graceful shutdown waits for in-flight requests before the process exits, in ms.')
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(600000)
  SHUTDOWN_TIMEOUT_MS = 10000;

  @Describe('Bearer token required by GET /metrics. Empty: /metrics is open (keep it on a private network).')
  @Sensitive()
  @IsOptional()
  @IsString()
  @MinLength(16)
  @MaxLength(512)
  METRICS_TOKEN?: string;
}
