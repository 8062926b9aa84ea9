import { AlertsService } from '../../src/alerts/alerts.service';
import { startVendorHarness, type VendorHarness } from '../utils/vendor-harness';

describe('health checks (emulator)', () => {
  let h: VendorHarness;
  let raise: jest.SpyInstance;

  beforeAll(async () => {
    h = await startVendorHarness({ env: { HEALTH_ALERT_CONFIRMATIONS: '2' } });
    raise = jest.spyOn(h.t.app.get(AlertsService), 'raise');
  });
  afterAll(() => h.close());
  beforeEach(() => {
    h.emulator.control.clearFaults();
    raise.mockClear();
  });

  const check = async (id: string) =>
    (await h.t.http.post(`/v1/subscribers/${id}/health-checks`).expect(201)).body as {
      status: string;
      reasons: string[];
      latencyMs: number | null;
    };
  const health = async (id: string) =>
    ((await h.t.http.get(`/v1/subscribers/${id}`).expect(200)).body as { healthStatus: string }).healthStatus;

  it('5xx beyond retries → unhealthy after two checks (one alert); recovery → healthy (one alert)', async () => {
    const company = await h.register(0);
    expect(await check(company.id)).toMatchObject({ status: 'healthy', reasons: [] });
    expect(await health(company.id)).toBe('healthy');
    expect(raise).not.toHaveBeenCalled();

    h.emulator.control.addFault({ path: '/subscriptions/**', action: { type: 'respond', status: 503 } });
    expect(await check(company.id)).toMatchObject({ status: 'unhealthy', reasons: ['VENDOR_UNAVAILABLE'] });
    expect(await health(company.id)).toBe('healthy');
    await check(company.id);
    await check(company.id);
    expect(await health(company.id)).toBe('unhealthy');
    expect(raise).toHaveBeenCalledTimes(1);
    expect(raise.mock.calls[0][0]).toMatchObject({
      subscriberId: company.id,
      kind: 'health.unhealthy',
      from: 'healthy',
      to: 'unhealthy',
      reasons: ['VENDOR_UNAVAILABLE'],
    });

    h.emulator.control.clearFaults();
    const recovered = await check(company.id);
    expect(recovered.status).toBe('healthy');
    expect(recovered.latencyMs).toEqual(expect.any(Number));
    expect(await health(company.id)).toBe('healthy');
    expect(raise).toHaveBeenCalledTimes(2);
    expect(raise.mock.calls[1][0]).toMatchObject({
      kind: 'health.recovered',
      from: 'unhealthy',
      to: 'healthy',
    });

    const history = await h.t.http.get(`/v1/subscribers/${company.id}/health-checks?pageSize=2`).expect(200);
    expect(history.headers['x-pagination']).toBeDefined();
    expect((history.body as unknown[]).length).toBe(2);
  });

  it('a 401 → unhealthy (credential)', async () => {
    const company = await h.register(1);
    h.emulator.control.addFault({
      path: '/subscriptions/**',
      action: { type: 'respond', status: 401, body: 'AUTH-1002 token invalid' },
    });
    expect(await check(company.id)).toMatchObject({ status: 'unhealthy', reasons: ['CREDENTIAL_INVALID'] });
    expect(await check(company.id)).toMatchObject({ status: 'unhealthy', reasons: ['CREDENTIAL_INVALID'] });
    expect(await health(company.id)).toBe('unhealthy');
    expect(raise).toHaveBeenCalledTimes(1);
  });

  it('a monthly 429 → degraded (quota), without calling again while flagged', async () => {
    const company = await h.register(2);
    h.emulator.control.addFault({
      path: '/subscriptions/**',
      action: { type: 'respond', status: 429, body: 'Monthly API call limit reached' },
    });
    expect(await check(company.id)).toMatchObject({ status: 'degraded', reasons: ['QUOTA_EXHAUSTED'] });
    h.emulator.control.clearJournal();
    expect(await check(company.id)).toMatchObject({ status: 'degraded', reasons: ['QUOTA_EXHAUSTED'] });
    expect(h.calls(/subscriptions/)).toBe(0);
    expect(await health(company.id)).toBe('degraded');
    expect(raise).toHaveBeenCalledTimes(1);
    expect(raise.mock.calls[0][0]).toMatchObject({ kind: 'health.degraded', from: 'unknown' });
  });

  it('runs a sweep on demand, reports it in the summary, and /readyz reports the scheduler', async () => {
    const run = await h.t.http.post('/v1/health-checks/run').expect(202);
    expect(run.body).toEqual({ started: true });
    const deadline = Date.now() + 10000;
    let summary: { lastSweep: { durationMs: number | null; checked: number } | null; counts: unknown[] };
    do {
      summary = (await h.t.http.get('/v1/health-checks/summary').expect(200)).body as typeof summary;
    } while ((summary.lastSweep?.durationMs ?? null) === null && Date.now() < deadline);
    expect(summary.lastSweep?.checked).toBe(3);
    expect(summary.counts.length).toBeGreaterThan(0);
    const ready = await h.t.http.get('/readyz').expect(200);
    expect(ready.body.info.healthCheckScheduler).toMatchObject({ status: 'up', cron: '*/15 * * * *' });
  });
});
