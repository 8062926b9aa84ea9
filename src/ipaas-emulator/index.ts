import type { EmulatorControl } from './control';
import { EmulatorControlImpl } from './control';
import type { EmulatorOptions } from './server';
import { listen } from './server';

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

/** Port (default 4010; 0 = any free port), host (127.0.0.1), seed, clock, limits, error mode, journal size, RNG seed, latency. */
export type StartEmulatorOptions = EmulatorOptions;

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
