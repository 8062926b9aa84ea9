import type { CreateAppOptions } from '../../src/app.setup';
import { OffsetClock } from '../../src/common/time/clock';
import type { RawEnvironment } from '../../src/config/load-config';
import { startEmulator, type StartedEmulator, type StartEmulatorOptions } from '../../src/ipaas-emulator';
import { startTestApp, type TestApp } from './test-app';

export interface VendorHarness {
  emulator: StartedEmulator;
  t: TestApp;
  /** Tenantry's clock: the emulator's virtual time, so `control.advanceClock` moves both. */
  clock: OffsetClock;
  /** Registers a seeded subscriber company in Tenantry; returns its Tenantry id. */
  register(companyIndex: number): Promise<{ id: string; ipaasCompanyId: string }>;
  /** Journal entries (since the last clear) whose path matches. */
  calls(pathPattern: RegExp, companyId?: string): number;
  close(): Promise<void>;
}

/** Fast retries so fault tests finish quickly; generous limits unless a test sets its own. */
export const FAST_CLIENT_ENV: RawEnvironment = {
  IPAAS_RETRY_BASE_MS: '5',
  IPAAS_RETRY_MAX_MS: '40',
  IPAAS_MAX_RETRIES: '2',
  IPAAS_TIMEOUT_MS: '1000',
  IPAAS_GLOBAL_RATE_PER_SECOND: '5000',
  IPAAS_COMPANY_RATE_PER_SECOND: '1000',
  IPAAS_COMPANY_CONCURRENCY: '50',
  IPAAS_CIRCUIT_FAILURE_THRESHOLD: '1000',
};

/** The emulator in-process plus Tenantry (real AppModule) pointed at it. */
export async function startVendorHarness(
  options: { env?: RawEnvironment; emulator?: StartEmulatorOptions; app?: CreateAppOptions } = {},
): Promise<VendorHarness> {
  const emulator = await startEmulator({
    port: 0,
    seed: { subscribers: 12, pendingRequests: 2 },
    journalSize: 20000,
    limits: { ratePerSecond: 0, concurrency: 0 },
    ...options.emulator,
  });
  const clock = new OffsetClock(() => emulator.control.now());
  const t = await startTestApp(
    { ...FAST_CLIENT_ENV, IPAAS_BASE_URL: emulator.url, ...options.env },
    { clock, ...options.app },
  );
  await t.http
    .put('/v1/misp-account')
    .send({ email: 'misp@sandbox.test', password: 'sandbox-pass' })
    .expect(200);
  emulator.control.clearJournal();
  return {
    emulator,
    t,
    clock,
    register: async (companyIndex) => {
      const ipaasCompanyId = emulator.control.subscriberCompanyIds()[companyIndex];
      const response = await t.http
        .post('/v1/subscribers')
        .send({ ipaasCompanyId, name: `Company ${companyIndex}` })
        .expect(201);
      return { id: (response.body as { id: string }).id, ipaasCompanyId };
    },
    calls: (pathPattern, companyId) =>
      emulator.control
        .journal()
        .filter(
          (entry) =>
            pathPattern.test(entry.url) && (companyId === undefined || entry.companyId === companyId),
        ).length,
    close: async () => {
      await t.close();
      await emulator.close();
    },
  };
}
