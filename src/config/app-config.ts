import { dirname, resolve } from 'node:path';

import { appVersion } from './app-version';
import { DEFAULT_VAULT_KEY_FILE, type EnvironmentVariables } from './environment.schema';

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
    bulkBodyLimit: string;
    corsOrigins: string[];
    shutdownTimeoutMs: number;
  } {
    return {
      port: this.env.PORT,
      host: this.env.HOST,
      bodyLimit: this.env.BODY_LIMIT,
      bulkBodyLimit: this.env.BULK_BODY_LIMIT,
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

  get vault(): VaultSettings {
    const database = this.database;
    return {
      keys: this.env.VAULT_KEYS,
      activeKey: this.env.VAULT_ACTIVE_KEY,
      keyFile: resolve(this.env.VAULT_KEY_FILE),
      dataFolder: database.kind === 'sqlite' ? dirname(database.path) : null,
      // Only for the default: a configured VAULT_KEY_FILE is where its owner wants it, and the old default
      // file may belong to another setup in the same working directory.
      legacyKeyFile:
        this.env.VAULT_KEY_FILE === DEFAULT_VAULT_KEY_FILE ? resolve(LEGACY_VAULT_KEY_FILE) : null,
    };
  }

  get auth(): AuthSettings {
    return {
      jwtSecret: this.env.JWT_SECRET,
      accessTokenTtlSeconds: this.env.AUTH_ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlMs: this.env.AUTH_REFRESH_TOKEN_TTL_DAYS * 24 * 60 * 60 * 1000,
      loginThrottle: {
        maxFailuresPerAccount: this.env.LOGIN_MAX_FAILURES_PER_ACCOUNT,
        accountFailureCeiling: this.env.LOGIN_ACCOUNT_FAILURE_CEILING,
        maxFailuresPerIp: this.env.LOGIN_MAX_FAILURES_PER_IP,
        windowMs: this.env.LOGIN_FAILURE_WINDOW_SECONDS * 1000,
        lockoutMs: this.env.LOGIN_LOCKOUT_SECONDS * 1000,
      },
      firstAdmin:
        this.env.ADMIN_EMAIL !== undefined && this.env.ADMIN_PASSWORD !== undefined
          ? { email: this.env.ADMIN_EMAIL, password: this.env.ADMIN_PASSWORD }
          : null,
    };
  }

  /** True when the built-in emulator is the vendor (IPAAS_BASE_URL=sandbox). */
  get isSandbox(): boolean {
    return this.env.IPAAS_BASE_URL === 'sandbox';
  }

  get sandboxPort(): number {
    return this.env.IPAAS_SANDBOX_PORT;
  }

  get ipaas(): IpaasSettings {
    return {
      baseUrl: this.env.IPAAS_BASE_URL,
      authHeaderFormat: this.env.IPAAS_AUTH_HEADER_FORMAT,
      timeoutMs: this.env.IPAAS_TIMEOUT_MS,
      maxResponseBytes: this.env.IPAAS_MAX_RESPONSE_BYTES,
      globalRatePerSecond: this.env.IPAAS_GLOBAL_RATE_PER_SECOND,
      companyRatePerSecond: this.env.IPAAS_COMPANY_RATE_PER_SECOND,
      companyConcurrency: this.env.IPAAS_COMPANY_CONCURRENCY,
      maxRetries: this.env.IPAAS_MAX_RETRIES,
      retryBaseMs: this.env.IPAAS_RETRY_BASE_MS,
      retryMaxMs: this.env.IPAAS_RETRY_MAX_MS,
      retryAfterCapMs: this.env.IPAAS_RETRY_AFTER_CAP_MS,
      tokenRefreshMarginMs: this.env.IPAAS_TOKEN_REFRESH_MARGIN_MS,
      circuitFailureThreshold: this.env.IPAAS_CIRCUIT_FAILURE_THRESHOLD,
      circuitOpenMs: this.env.IPAAS_CIRCUIT_OPEN_MS,
    };
  }

  get provisioning(): ProvisioningSettings {
    return {
      concurrency: this.env.PROVISIONING_CONCURRENCY,
      leaseMs: this.env.PROVISIONING_LEASE_MS,
      maxAttempts: this.env.PROVISIONING_MAX_ATTEMPTS,
      retryBaseMs: this.env.PROVISIONING_RETRY_BASE_MS,
      retryMaxMs: this.env.PROVISIONING_RETRY_MAX_MS,
      pollMs: this.env.PROVISIONING_POLL_MS,
      waitMaxMs: this.env.PROVISIONING_WAIT_MAX_HOURS * 3_600_000,
    };
  }

  get alertDelivery(): AlertDeliverySettings {
    return {
      maxAttempts: this.env.ALERT_DELIVERY_MAX_ATTEMPTS,
      retryBaseMs: this.env.ALERT_DELIVERY_RETRY_BASE_MS,
      retryMaxMs: this.env.ALERT_DELIVERY_RETRY_MAX_MS,
      timeoutMs: this.env.ALERT_DELIVERY_TIMEOUT_MS,
      pollMs: this.env.ALERT_DELIVERY_POLL_MS,
    };
  }

  get healthChecks(): {
    cron: string;
    concurrency: number;
    historyDays: number;
    alertConfirmations: number;
    expiryWarnDays: number;
  } {
    return {
      cron: this.env.HEALTH_CHECK_CRON,
      concurrency: this.env.HEALTH_CHECK_CONCURRENCY,
      historyDays: this.env.HEALTH_HISTORY_DAYS,
      alertConfirmations: this.env.HEALTH_ALERT_CONFIRMATIONS,
      expiryWarnDays: this.env.HEALTH_EXPIRY_WARN_DAYS,
    };
  }

  get webhooks(): {
    bodyLimit: string;
    rateLimitPerSecond: number;
    dedupeMs: number;
    workerPollMs: number;
  } {
    return {
      bodyLimit: this.env.WEBHOOK_BODY_LIMIT,
      rateLimitPerSecond: this.env.WEBHOOK_RATE_LIMIT_PER_SECOND,
      dedupeMs: this.env.WEBHOOK_DEDUPE_DAYS * 24 * 60 * 60 * 1000,
      workerPollMs: this.env.WEBHOOK_WORKER_POLL_MS,
    };
  }

  get idempotency(): { ttlMs: number } {
    return { ttlMs: this.env.IDEMPOTENCY_TTL_HOURS * 60 * 60 * 1000 };
  }

  /** The outbound HTTP guard (src/common/outbound): the allow-list and how requests introduce themselves. */
  get outbound(): { allowCidrs: string; userAgent: string } {
    return { allowCidrs: this.env.OUTBOUND_ALLOW_CIDRS, userAgent: `Tenantry/${appVersion()}` };
  }

  /** Caps and pacing of live event streams (SSE). */
  get liveStreams(): LiveStreamSettings {
    return {
      maxPerPrincipal: this.env.SSE_MAX_STREAMS_PER_PRINCIPAL,
      maxTotal: this.env.SSE_MAX_STREAMS,
      replayEvents: this.env.SSE_REPLAY_EVENTS,
      heartbeatMs: this.env.SSE_HEARTBEAT_SECONDS * 1000,
    };
  }

  /** The MiSP's own company and the role it asks subscribers to share (both optional). */
  get misp(): { companyId?: string; roleId?: number } {
    return { companyId: this.env.IPAAS_MISP_COMPANY_ID, roleId: this.env.IPAAS_MISP_ROLE_ID };
  }
}

export interface LiveStreamSettings {
  maxPerPrincipal: number;
  maxTotal: number;
  replayEvents: number;
  heartbeatMs: number;
}

// The default VAULT_KEY_FILE before the development key ring moved out of the data folder (KeyRingLoader).
const LEGACY_VAULT_KEY_FILE = './data/vault-keys.dev';

export interface VaultSettings {
  keys?: string;
  activeKey?: string;
  /** The development key ring (when VAULT_KEYS is empty), absolute. */
  keyFile: string;
  /** The folder of the SQLite database, which a development key ring must not share; null on PostgreSQL. */
  dataFolder: string | null;
  /** With the default `keyFile`: where older versions kept it, moved to `keyFile` when that does not exist. */
  legacyKeyFile: string | null;
}

export interface AlertDeliverySettings {
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  timeoutMs: number;
  pollMs: number;
}

export interface ProvisioningSettings {
  /** Items in flight on this instance; 0: the instance claims no provisioning work. */
  concurrency: number;
  leaseMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  pollMs: number;
  /** How long an item waits for the subscriber's relationship before it fails (ms). */
  waitMaxMs: number;
}

export interface IpaasSettings {
  /** `sandbox` or the vendor's base URL. */
  baseUrl: string;
  authHeaderFormat: 'raw' | 'bearer';
  timeoutMs: number;
  maxResponseBytes: number;
  globalRatePerSecond: number;
  companyRatePerSecond: number;
  companyConcurrency: number;
  maxRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  retryAfterCapMs: number;
  tokenRefreshMarginMs: number;
  circuitFailureThreshold: number;
  circuitOpenMs: number;
}

export interface AuthSettings {
  /** Undefined outside production when unset: a random per-process key is used. */
  jwtSecret: string | undefined;
  accessTokenTtlSeconds: number;
  refreshTokenTtlMs: number;
  loginThrottle: {
    /** Per email and client address (IPv6: per /64). */
    maxFailuresPerAccount: number;
    /** Per email, all addresses together. */
    accountFailureCeiling: number;
    maxFailuresPerIp: number;
    windowMs: number;
    lockoutMs: number;
  };
  /** ADMIN_EMAIL / ADMIN_PASSWORD: created at boot while no staff user exists. */
  firstAdmin: { email: string; password: string } | null;
}
