import type { EmulatorClock } from './clock';
import type { EmulatorControl } from './control';
import { EmulatorControlImpl } from './control';
import type { ErrorMode } from './errors';
import type { LimitOptions } from './limits';
import type { LatencyOptions } from './server';
import { listen } from './server';
import type { SeedOptions } from './state';

export { ManualClock, RealTimeClock, DEFAULT_MANUAL_START_MS } from './clock';
export type { EmulatorClock } from './clock';
export type {
  EmulatorControl,
  MintedApiKey,
  MintedToken,
  NewSubscriberRequest,
  RouteInfo,
  UserInfo,
} from './control';
export type { ErrorMode } from './errors';
export { VOLUME_MESSAGE, MONTHLY_MESSAGE } from './errors';
export type { FaultAction, FaultRule, FaultRuleInput } from './faults';
export type { LimitOptions } from './limits';
export { DEFAULT_LIMITS } from './limits';
export type { DemoInfo, JournalEntry, LatencyOptions } from './server';
export type { HookRecord, SeedOptions, TokenClass } from './state';
export { DEFAULT_SEED, MAX_SUBSCRIBERS, ACCESS_TOKEN_TTL_MS } from './state';
export type { StatsSnapshot } from './stats';
export { ROUTES } from './routes.table';
export type { RouteSpec } from './routes.table';

export interface StartEmulatorOptions {
  /** Default 4010; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Demo seed overrides (see DEFAULT_SEED); false starts empty. */
  seed?: Partial<SeedOptions> | false;
  /** Default: real time plus an offset that advanceClock() increases. Tests pass a ManualClock. */
  clock?: EmulatorClock;
  limits?: Partial<LimitOptions>;
  errorMode?: ErrorMode;
  /** Request-journal capacity (also the received-hooks capacity). Default 1000. */
  journalSize?: number;
  /** Seed of every random stream. Default 1. */
  rngSeed?: number;
  latency?: LatencyOptions;
  pagination?: { defaultPageSize?: number; maxPageSize?: number };
}

export interface StartedEmulator {
  /** e.g. http://127.0.0.1:4010 (no trailing slash); vendor base paths hang off it (`${url}/sso/v2/...`). */
  url: string;
  control: EmulatorControl;
  /** Stops listening and destroys every socket (keep-alive and hanging ones included). */
  close(): Promise<void>;
}

/** Start an iPaaS.com emulator on loopback. */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<StartedEmulator> {
  const running = await listen(options);
  return { url: running.url, control: new EmulatorControlImpl(running.core), close: () => running.close() };
}
