import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
} from 'class-validator';

import { parseAllowedRanges } from '../common/outbound/outbound-address-policy';
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

/** The default VAULT_KEY_FILE (before: ./data/vault-keys.dev, beside the database; see KeyRingLoader). */
export const DEFAULT_VAULT_KEY_FILE = './keys/vault-keys.dev';

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

  @Describe('Largest accepted body of a bulk provisioning job (up to 10,000 rows), e.g. `16mb`.')
  @Matches(/^\d+(b|kb|mb)$/i, { message: 'BULK_BODY_LIMIT must look like 512kb or 16mb' })
  BULK_BODY_LIMIT = '16mb';

  @Describe('Comma-separated origins allowed by CORS. Empty: CORS stays off.')
  @IsString()
  CORS_ORIGINS = '';

  @Describe('How long a graceful shutdown waits for in-flight requests before the process exits, in ms.')
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(600000)
  SHUTDOWN_TIMEOUT_MS = 10000;

  @Describe(
    'Bearer token required by GET /metrics (required in production). Empty outside production: /metrics is open.',
  )
  @Sensitive()
  @IsOptional()
  @IsString()
  @MinLength(16)
  @MaxLength(512)
  METRICS_TOKEN?: string;

  @Describe(
    'Vault key ring: comma-separated `kid:base64-of-32-bytes`. Empty outside production: a key is generated into ' +
      'VAULT_KEY_FILE on first start (with a warning). Required in production.',
  )
  @Sensitive()
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/=_-]{40,}(,[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/=_-]{40,})*$/, {
    message: 'VAULT_KEYS must be kid:base64-32-bytes[,kid:base64-32-bytes…]',
  })
  VAULT_KEYS?: string;

  @Describe('Key id (kid) in VAULT_KEYS that encrypts new secrets. Default: the last key listed.')
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,32}$/, { message: 'VAULT_ACTIVE_KEY must be a key id of VAULT_KEYS' })
  VAULT_ACTIVE_KEY?: string;

  @Describe(
    'Where a development key ring is generated and kept when VAULT_KEYS is empty (never in production). Kept ' +
      'out of the data folder, so a copy of the database does not carry the key that opens its secrets.',
  )
  @IsString()
  VAULT_KEY_FILE = DEFAULT_VAULT_KEY_FILE;

  @Describe(
    '`sandbox` (default) starts the built-in iPaaS.com emulator in-process and uses it; a URL such as ' +
      '`https://api.ipaas.com` calls the real vendor.',
  )
  @Matches(/^(sandbox|https?:\/\/[^\s]+)$/, { message: 'IPAAS_BASE_URL must be sandbox or an http(s) URL' })
  IPAAS_BASE_URL = 'sandbox';

  @Describe(
    'Port of the in-process sandbox emulator when IPAAS_BASE_URL=sandbox (0: any free port, shown in the startup ' +
      'banner). Its control plane is at /__emulator/ on that port.',
  )
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  IPAAS_SANDBOX_PORT = 0;

  @Describe(
    'How the vendor token is sent: `raw` (Authorization: <token>, as the vendor page shows) or `bearer`.',
  )
  @IsIn(['raw', 'bearer'])
  IPAAS_AUTH_HEADER_FORMAT: 'raw' | 'bearer' = 'bearer';

  @Describe('Timeout of one vendor call, in milliseconds.')
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(300000)
  IPAAS_TIMEOUT_MS = 15000;

  @Describe('Largest vendor response body accepted, in bytes.')
  @Type(() => Number)
  @IsInt()
  @Min(1024)
  IPAAS_MAX_RESPONSE_BYTES = 10485760;

  @Describe('Vendor calls per second across all companies (this instance).')
  @Type(() => Number)
  @IsNumber()
  @Min(0.1)
  IPAAS_GLOBAL_RATE_PER_SECOND = 200;

  @Describe('Vendor calls per second for one company.')
  @Type(() => Number)
  @IsNumber()
  @Min(0.1)
  IPAAS_COMPANY_RATE_PER_SECOND = 10;

  @Describe('Vendor calls in flight at once for one company.')
  @Type(() => Number)
  @IsInt()
  @Min(1)
  IPAAS_COMPANY_CONCURRENCY = 4;

  @Describe(
    'Retries of a retryable vendor failure (network, timeout, 5xx, volume 429) after the first attempt.',
  )
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(20)
  IPAAS_MAX_RETRIES = 4;

  @Describe('Base of the capped full-jitter exponential backoff, in milliseconds.')
  @Type(() => Number)
  @IsInt()
  @Min(1)
  IPAAS_RETRY_BASE_MS = 200;

  @Describe('Cap of one backoff wait, in milliseconds.')
  @Type(() => Number)
  @IsInt()
  @Min(1)
  IPAAS_RETRY_MAX_MS = 10000;

  @Describe('Longest Retry-After slept through; a longer one is handed back to the caller as "reschedule".')
  @Type(() => Number)
  @IsInt()
  @Min(0)
  IPAAS_RETRY_AFTER_CAP_MS = 30000;

  @Describe('Company tokens are refreshed this long before they expire, in milliseconds.')
  @Type(() => Number)
  @IsInt()
  @Min(0)
  IPAAS_TOKEN_REFRESH_MARGIN_MS = 300000;

  @Describe('Consecutive failed calls that open a company circuit.')
  @Type(() => Number)
  @IsInt()
  @Min(1)
  IPAAS_CIRCUIT_FAILURE_THRESHOLD = 5;

  @Describe('How long an open company circuit refuses calls before one half-open probe, in milliseconds.')
  @Type(() => Number)
  @IsInt()
  @Min(1)
  IPAAS_CIRCUIT_OPEN_MS = 30000;

  @Describe(
    "iPaaS.com id of the MiSP company. Empty: found among the MiSP user's companies (the one designated MiSP).",
  )
  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, { message: 'IPAAS_MISP_COMPANY_ID must be a company id' })
  IPAAS_MISP_COMPANY_ID?: string;

  @Describe(
    'Role of the MiSP company requested in role shares when a request names none. Empty: requests must name one.',
  )
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  IPAAS_MISP_ROLE_ID?: number;

  @Describe(
    'HS256 key that signs staff access tokens (32+ bytes). Empty outside production: a random key per process ' +
      '(sessions end on restart, with a warning). Required in production.',
  )
  @Sensitive()
  @IsOptional()
  @IsString()
  @MinLength(32)
  @MaxLength(512)
  JWT_SECRET?: string;

  @Describe('Lifetime of a staff access token (JWT), in seconds.')
  @Type(() => Number)
  @IsInt()
  @Min(30)
  @Max(86400)
  AUTH_ACCESS_TOKEN_TTL_SECONDS = 900;

  @Describe('Lifetime of a staff refresh token, in days (each refresh issues a new one).')
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(365)
  AUTH_REFRESH_TOKEN_TTL_DAYS = 14;

  @Describe(
    'Failed sign-ins for one email from one address (an IPv6 /64) within the window before that email is ' +
      'locked out for that address; the owner signing in from elsewhere is not.',
  )
  @Type(() => Number)
  @IsInt()
  @Min(1)
  LOGIN_MAX_FAILURES_PER_ACCOUNT = 5;

  @Describe(
    'Failed sign-ins for one email from all addresses together within the window before that email is locked ' +
      'out everywhere (the ceiling against guessing from many addresses; at least LOGIN_MAX_FAILURES_PER_ACCOUNT).',
  )
  @Type(() => Number)
  @IsInt()
  @Min(1)
  LOGIN_ACCOUNT_FAILURE_CEILING = 100;

  @Describe(
    'Failed sign-ins from one address (an IPv6 /64) within the window, whatever the emails, before that ' +
      'address is locked out.',
  )
  @Type(() => Number)
  @IsInt()
  @Min(1)
  LOGIN_MAX_FAILURES_PER_IP = 50;

  @Describe('Window in which failed sign-ins are counted, in seconds.')
  @Type(() => Number)
  @IsInt()
  @Min(1)
  LOGIN_FAILURE_WINDOW_SECONDS = 900;

  @Describe(
    'How long a locked-out email, email and address, or address is refused (429 with Retry-After), in s.',
  )
  @Type(() => Number)
  @IsInt()
  @Min(1)
  LOGIN_LOCKOUT_SECONDS = 900;

  @Describe('Email of the first admin, created at boot when no staff user exists (with ADMIN_PASSWORD).')
  @IsOptional()
  @IsEmail()
  @MaxLength(320)
  ADMIN_EMAIL?: string;

  @Describe('Password of the first admin (12-200 characters); used only while no staff user exists.')
  @Sensitive()
  @IsOptional()
  @IsString()
  @MinLength(12)
  @MaxLength(200)
  ADMIN_PASSWORD?: string;

  @Describe(
    'Items one instance provisions at once (bulk jobs). 0: this instance claims no provisioning work.',
  )
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1024)
  PROVISIONING_CONCURRENCY = 64;

  @Describe(
    'Lease of a claimed provisioning item, in ms: renewed every third of it; an expired lease is reclaimed. Must exceed IPAAS_TIMEOUT_MS (a vendor write is sent only with more than one timeout of lease left).',
  )
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(3600000)
  PROVISIONING_LEASE_MS = 30000;

  @Describe('Attempts of one provisioning item before a transient failure fails it for good.')
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  PROVISIONING_MAX_ATTEMPTS = 5;

  @Describe('Base of the exponential backoff (with full jitter) between attempts of an item, in ms.')
  @Type(() => Number)
  @IsInt()
  @Min(1)
  PROVISIONING_RETRY_BASE_MS = 1000;

  @Describe('Cap of one backoff wait between attempts of an item, in ms.')
  @Type(() => Number)
  @IsInt()
  @Min(1)
  PROVISIONING_RETRY_MAX_MS = 60000;

  @Describe('How often an idle instance looks for claimable provisioning items, in ms.')
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(60000)
  PROVISIONING_POLL_MS = 500;

  @Describe(
    'Hours an item may wait for the subscriber to grant the MiSP access (an active role share) before it fails with RELATIONSHIP_NOT_ACTIVE.',
  )
  @Type(() => Number)
  @IsNumber()
  @Min(0.01)
  @Max(8760)
  PROVISIONING_WAIT_MAX_HOURS = 72;

  @Describe('When health sweeps start (cron, UTC); each spreads its checks over most of the interval.')
  @IsString()
  @MinLength(9)
  HEALTH_CHECK_CRON = '*/15 * * * *';

  @Describe('Health checks one instance runs at once in a sweep (kept low: provisioning has the rate limit).')
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(256)
  HEALTH_CHECK_CONCURRENCY = 4;

  @Describe('Days health check results are kept (pruned daily).')
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3650)
  HEALTH_HISTORY_DAYS = 30;

  @Describe(
    'Consecutive checks a worse health status must hold before it is adopted and alerted (recovery: 1).',
  )
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(20)
  HEALTH_ALERT_CONFIRMATIONS = 2;

  @Describe(
    'Days before a stored API key expires that its company is reported degraded (CREDENTIAL_EXPIRING).',
  )
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(365)
  HEALTH_EXPIRY_WARN_DAYS = 14;

  @Describe('Attempts to deliver one alert to one destination before the delivery is marked failed.')
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(50)
  ALERT_DELIVERY_MAX_ATTEMPTS = 8;

  @Describe('Base of the exponential backoff (with full jitter) between alert delivery attempts, in ms.')
  @Type(() => Number)
  @IsInt()
  @Min(1)
  ALERT_DELIVERY_RETRY_BASE_MS = 5000;

  @Describe('Cap of one backoff wait between alert delivery attempts, in ms.')
  @Type(() => Number)
  @IsInt()
  @Min(1)
  ALERT_DELIVERY_RETRY_MAX_MS = 3600000;

  @Describe('Timeout of one alert delivery POST, in ms.')
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(120000)
  ALERT_DELIVERY_TIMEOUT_MS = 10000;

  @Describe('How often the alert delivery loop looks for due deliveries, in ms.')
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(60000)
  ALERT_DELIVERY_POLL_MS = 1000;

  @Describe('How long an Idempotency-Key and the response it answered are kept, in hours.')
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(720)
  IDEMPOTENCY_TTL_HOURS = 24;

  @Describe(
    'Largest accepted body of a signed webhook delivery (POST /v1/webhooks/{sourceId}), e.g. `256kb`.',
  )
  @Matches(/^\d+(b|kb|mb)$/i, { message: 'WEBHOOK_BODY_LIMIT must look like 256kb or 1mb' })
  WEBHOOK_BODY_LIMIT = '256kb';

  @Describe(
    'Default per-source rate limit of webhook deliveries (requests per second; bursts of twice that).',
  )
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10000)
  WEBHOOK_RATE_LIMIT_PER_SECOND = 100;

  @Describe(
    'Days a webhook event is kept for deduplication by its id (at least 7: senders retry for ~3 days).',
  )
  @Type(() => Number)
  @IsInt()
  @Min(7)
  @Max(3650)
  WEBHOOK_DEDUPE_DAYS = 7;

  @Describe('How often the webhook worker looks for accepted offboard and health-check events, in ms.')
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(60000)
  WEBHOOK_WORKER_POLL_MS = 1000;

  // Security controls of issue 15 (outbound calls, live streams).

  @Describe(
    'Comma-separated CIDRs (or addresses) the server may call although they are not public, for on-premises ' +
      'alert receivers, e.g. `10.20.0.0/16,fd12::/64`. Empty: only public addresses. Metadata, multicast and ' +
      'unspecified addresses are never called.',
  )
  @IsString()
  @ValidateBy({
    name: 'isCidrList',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' && parseAllowedRanges(value).problems.length === 0,
      defaultMessage: () => 'OUTBOUND_ALLOW_CIDRS must be comma-separated CIDRs such as 10.20.0.0/16',
    },
  })
  OUTBOUND_ALLOW_CIDRS = '';

  @Describe('Live event streams (SSE) one caller (staff user or API key) may hold open on this instance.')
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10000)
  SSE_MAX_STREAMS_PER_PRINCIPAL = 10;

  @Describe('Live event streams (SSE) this instance holds open in all; over it: 429 with Retry-After.')
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100000)
  SSE_MAX_STREAMS = 100;

  @Describe(
    'Stored events a new stream replays at most (after the progress snapshot), from Last-Event-ID or the latest.',
  )
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(100000)
  SSE_REPLAY_EVENTS = 200;

  @Describe('Seconds of silence after which a live stream sends a heartbeat comment line.')
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3600)
  SSE_HEARTBEAT_SECONDS = 15;
}
