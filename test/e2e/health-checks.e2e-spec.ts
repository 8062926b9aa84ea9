import { AlertsService } from '../../src/alerts/alerts.service';
import { HealthSweeper } from '../../src/health-checks/health-sweep';
import { MispVendorService } from '../../src/relationships/misp-vendor.service';
import { eventually } from '../utils/provisioning-fakes';
import { startVendorHarness, type VendorHarness } from '../utils/vendor-harness';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('health checks (emulator)', () => {
  let h: VendorHarness;
  let raise: jest.SpyInstance;

  beforeAll(async () => {
    h = await startVendorHarness({ env: { HEALTH_ALERT_CONFIRMATIONS: '2', PROVISIONING_POLL_MS: '20' } });
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
  const alertsOf = (id: string) =>
    raise.mock.calls
      .map(([input]) => input as { subscriberId: string; kind: string })
      .filter((input) => input.subscriberId === id);
  const sweep = async () => {
    await h.t.http.post('/v1/health-checks/run').expect(202);
    await h.t.app.get(HealthSweeper).current;
  };

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

  it('a company no longer listed for the MiSP is unhealthy (NOT_LISTED_FOR_MISP) after a sweep reads the list', async () => {
    const company = await h.register(3);
    const listed = await h.register(4);
    await sweep();
    expect(await health(company.id)).toBe('healthy');
    expect(await check(company.id)).toMatchObject({ status: 'healthy', reasons: [] });

    // The relationship ends at iPaaS.com (through the vendor's own route, as the MiSP).
    await h.t.app
      .get(MispVendorService)
      .call('removeSubscriber', { params: { companyId: company.ipaasCompanyId } });
    // The list cached from the last sweep still names the company: an on-demand check cannot tell yet.
    expect((await check(company.id)).reasons).not.toContain('NOT_LISTED_FOR_MISP');

    h.emulator.control.clearJournal();
    await sweep();
    // One read of the (paged) list per sweep, not one per company.
    expect(h.calls(/\/MiSP\/Subscribers/)).toBeGreaterThanOrEqual(1);
    expect(h.calls(/\/MiSP\/Subscribers/)).toBeLessThanOrEqual(2);
    expect(await health(company.id)).toBe('unhealthy');
    const latest = (await h.t.http.get(`/v1/subscribers/${company.id}/health-checks?pageSize=1`).expect(200))
      .body as { status: string; reasons: string[] }[];
    expect(latest[0].status).toBe('unhealthy');
    expect(latest[0].reasons).toContain('NOT_LISTED_FOR_MISP');
    // On demand, the list cached from the last sweep is used.
    expect((await check(company.id)).reasons).toContain('NOT_LISTED_FOR_MISP');
    expect(alertsOf(company.id).map((alert) => alert.kind)).toEqual(['health.unhealthy']);
    expect(await health(listed.id)).toBe('healthy');
    expect((await check(listed.id)).reasons).toEqual([]);
  });

  it('circuit: an unhealthy company is skipped (SUBSCRIBER_UNHEALTHY); after a healthy check a new job runs it', async () => {
    const company = await h.register(5);
    const template = await h.t.http
      .post('/v1/provisioning/templates')
      .send({
        name: 'health-circuit',
        spec: {
          users: [{ email: 'ops@{{subscriber.ipaasCompanyId}}.test', firstName: 'Op', lastName: 'Erator' }],
        },
      })
      .expect(201);
    const runJob = async () => {
      const job = (
        await h.t.http
          .post('/v1/provisioning/jobs')
          .send({
            templateId: (template.body as { id: string }).id,
            mode: 'apply',
            subscribers: [{ subscriberId: company.id }],
          })
          .expect(201)
      ).body as { id: string };
      await eventually(async () => {
        const state = (
          (await h.t.http.get(`/v1/provisioning/jobs/${job.id}`).expect(200)).body as { state: string }
        ).state;
        return ['succeeded', 'completed_with_errors', 'failed', 'cancelled'].includes(state)
          ? state
          : undefined;
      }, 20000);
      return (
        (await h.t.http.get(`/v1/provisioning/jobs/${job.id}/items`).expect(200)).body as {
          state: string;
          skipReason: string | null;
        }[]
      )[0];
    };

    h.emulator.control.addFault({ path: '/subscriptions/**', action: { type: 'respond', status: 503 } });
    await check(company.id);
    await check(company.id);
    expect(await health(company.id)).toBe('unhealthy');
    h.emulator.control.clearFaults();
    h.emulator.control.clearJournal();
    expect(await runJob()).toMatchObject({ state: 'skipped', skipReason: 'SUBSCRIBER_UNHEALTHY' });
    expect(h.calls(/\/users?\b/i, company.ipaasCompanyId)).toBe(0);

    expect(await check(company.id)).toMatchObject({ status: 'healthy' });
    expect(await runJob()).toMatchObject({ state: 'succeeded', skipReason: null });
    expect(h.calls(/\/users?\b/i, company.ipaasCompanyId)).toBeGreaterThan(0);
  });

  it('an API key expiring within HEALTH_EXPIRY_WARN_DAYS → degraded (CREDENTIAL_EXPIRING), one credential.expiring alert', async () => {
    const company = await h.register(6);
    const sessionCompany = await h.register(7);
    const key = h.emulator.control.mintApiKey(company.ipaasCompanyId, { expiresInDays: 60 });
    // Staff store the key with the expiry iPaaS.com showed when it was created.
    const stored = await h.t.http
      .put(`/v1/subscribers/${company.id}/credential`)
      .send({ kind: 'api_key', apiKey: key.apiKey, expiresAt: key.expiresAt })
      .expect(200);
    expect((stored.body as { expiresAt: string }).expiresAt).toBe(
      new Date(key.expiresAt as string).toISOString(),
    );
    await h.t.http
      .put(`/v1/subscribers/${sessionCompany.id}/credential`)
      .send({ kind: 'company_session', expiresAt: key.expiresAt })
      .expect(400);
    expect(await check(company.id)).toMatchObject({ status: 'healthy', reasons: [] });
    expect(await check(sessionCompany.id)).toMatchObject({ status: 'healthy', reasons: [] });

    h.emulator.control.advanceClock(47 * DAY_MS); // 13 days left: inside the 14-day window
    expect(await check(company.id)).toMatchObject({ status: 'degraded', reasons: ['CREDENTIAL_EXPIRING'] });
    expect(alertsOf(company.id)).toEqual([
      expect.objectContaining({
        kind: 'credential.expiring',
        from: 'healthy',
        reasons: ['CREDENTIAL_EXPIRING'],
      }),
    ]);
    expect(await check(company.id)).toMatchObject({ status: 'degraded', reasons: ['CREDENTIAL_EXPIRING'] });
    expect(await health(company.id)).toBe('degraded');
    // Still expiring, and now degraded: no second alert for the same change.
    expect(alertsOf(company.id)).toHaveLength(1);

    // A company session's own expiry is routine (it renews itself): never a warning.
    const session = (await h.t.http.get(`/v1/subscribers/${sessionCompany.id}/credential`).expect(200))
      .body as {
      kind: string;
    };
    expect(session.kind).toBe('company_session');
    expect(await check(sessionCompany.id)).toMatchObject({ status: 'healthy', reasons: [] });
    expect(alertsOf(sessionCompany.id)).toEqual([]);
  });
});
