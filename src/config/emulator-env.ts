import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min, MinLength, validateSync } from 'class-validator';

/**
 * Environment of the standalone iPaaS.com emulator (`npm run emulator`). The only place the emulator reads
 * process.env. Every problem is reported at once.
 */

/** Scalar env value as text ('' for anything else). */
function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

/** Strict integer parse: '' and unset -> undefined (default applies); anything not all digits -> NaN. */
function toInt({ value }: { value: unknown }): unknown {
  if (value === undefined || value === null) {
    return undefined;
  }
  const s = text(value).trim();
  if (s === '') {
    return undefined;
  }
  return /^-?\d+$/.test(s) ? Number(s) : Number.NaN;
}

function toAllowance({ value }: { value: unknown }): unknown {
  if (value === undefined || value === null) {
    return undefined;
  }
  const s = text(value).trim().toLowerCase();
  if (s === '' || s === 'unlimited') {
    return undefined;
  }
  return /^\d+$/.test(s) ? Number(s) : Number.NaN;
}

class EmulatorEnvSchema {
  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  EMULATOR_PORT?: number;

  @Transform(({ value }: { value: unknown }) =>
    value === '' || value === undefined ? undefined : text(value).trim(),
  )
  @IsOptional()
  @IsString()
  @MinLength(1)
  EMULATOR_HOST?: string;

  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(20000)
  EMULATOR_SUBSCRIBERS?: number;

  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(20000)
  EMULATOR_PENDING_REQUESTS?: number;

  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(4294967295)
  EMULATOR_SEED?: number;

  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(0)
  EMULATOR_RATE_PER_SECOND?: number;

  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(1)
  EMULATOR_BURST?: number;

  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(0)
  EMULATOR_CONCURRENCY?: number;

  @Transform(toAllowance)
  @IsOptional()
  @IsInt()
  @Min(0)
  EMULATOR_MONTHLY_ALLOWANCE?: number;

  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(600000)
  EMULATOR_LATENCY_MS?: number;

  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(600000)
  EMULATOR_LATENCY_JITTER_MS?: number;

  @Transform(({ value }: { value: unknown }) =>
    value === '' || value === undefined ? undefined : text(value).trim(),
  )
  @IsOptional()
  @IsIn(['plaintext', 'json', 'reason-phrase'])
  EMULATOR_ERROR_MODE?: string;

  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000000)
  EMULATOR_JOURNAL_SIZE?: number;
}

export interface EmulatorEnv {
  port: number;
  host: string;
  subscribers: number;
  pendingRequests: number;
  rngSeed: number;
  ratePerSecond: number;
  burst: number;
  concurrency: number;
  /** null = unlimited. */
  monthlyAllowance: number | null;
  latencyMs: number;
  latencyJitterMs: number;
  errorMode: 'plaintext' | 'json' | 'reason-phrase';
  journalSize: number;
}

const KEYS = [
  'EMULATOR_PORT',
  'EMULATOR_HOST',
  'EMULATOR_SUBSCRIBERS',
  'EMULATOR_PENDING_REQUESTS',
  'EMULATOR_SEED',
  'EMULATOR_RATE_PER_SECOND',
  'EMULATOR_BURST',
  'EMULATOR_CONCURRENCY',
  'EMULATOR_MONTHLY_ALLOWANCE',
  'EMULATOR_LATENCY_MS',
  'EMULATOR_LATENCY_JITTER_MS',
  'EMULATOR_ERROR_MODE',
  'EMULATOR_JOURNAL_SIZE',
];

export class EmulatorEnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid emulator environment: ${problems.join('; ')}`);
    this.name = 'EmulatorEnvError';
  }
}

/** Validate and type the emulator's environment (defaults: port 4010 on 127.0.0.1, 25 subscribers, 5 pending). */
export function loadEmulatorEnv(env: NodeJS.ProcessEnv = process.env): EmulatorEnv {
  const plain: Record<string, string | undefined> = {};
  for (const k of KEYS) {
    plain[k] = env[k];
  }
  const parsed = plainToInstance(EmulatorEnvSchema, plain);
  const errors = validateSync(parsed, { forbidUnknownValues: false });
  if (errors.length) {
    const problems = errors.map((e) => {
      const raw = plain[e.property];
      const msgs = Object.values(e.constraints ?? {}).join(', ');
      return `${e.property}=${JSON.stringify(raw)}: ${msgs}`;
    });
    throw new EmulatorEnvError(problems);
  }
  return {
    port: parsed.EMULATOR_PORT ?? 4010,
    host: parsed.EMULATOR_HOST ?? '127.0.0.1',
    subscribers: parsed.EMULATOR_SUBSCRIBERS ?? 25,
    pendingRequests: parsed.EMULATOR_PENDING_REQUESTS ?? 5,
    rngSeed: parsed.EMULATOR_SEED ?? 1,
    ratePerSecond: parsed.EMULATOR_RATE_PER_SECOND ?? 100,
    burst: parsed.EMULATOR_BURST ?? 200,
    concurrency: parsed.EMULATOR_CONCURRENCY ?? 25,
    monthlyAllowance: parsed.EMULATOR_MONTHLY_ALLOWANCE ?? null,
    latencyMs: parsed.EMULATOR_LATENCY_MS ?? 0,
    latencyJitterMs: parsed.EMULATOR_LATENCY_JITTER_MS ?? 0,
    errorMode: (parsed.EMULATOR_ERROR_MODE ?? 'plaintext') as EmulatorEnv['errorMode'],
    journalSize: parsed.EMULATOR_JOURNAL_SIZE ?? 1000,
  };
}
