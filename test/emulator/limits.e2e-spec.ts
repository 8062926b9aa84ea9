import { MONTHLY_MESSAGE, VOLUME_MESSAGE } from '../../src/ipaas-emulator';
import { bearer, companyToken, harness, type Harness, loginMisp } from './helpers';

describe('emulator: per-company limits (429)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ limits: { ratePerSecond: 2, burst: 3, concurrency: 0 } });
  });
  afterAll(() => h.close());
  beforeEach(() => h.emu.control.reset());

  it('token bucket: past the burst a plaintext 429 naming temporary volume restriction, with Retry-After; refills on the clock', async () => {
    const { token } = await companyToken(h, 0);
    for (let i = 0; i < 3; i++) {
      expect((await h.http.get('/customers/v2/Customers', bearer(token))).status).toBe(200);
    }
    const r = await h.http.get('/customers/v2/Customers', bearer(token));
    expect(r.status).toBe(429);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(r.data).toBe(VOLUME_MESSAGE);
    expect(r.data).toContain('temporary volume restriction');
    expect(r.headers['retry-after']).toBe('1');
    h.clock.advance(500); // 2/s -> one token back
    expect((await h.http.get('/customers/v2/Customers', bearer(token))).status).toBe(200);
    expect((await h.http.get('/customers/v2/Customers', bearer(token))).status).toBe(429);
    expect(h.emu.control.stats().rateLimited.volume).toBe(2);
  });

  it('buckets are per company, and a per-company override can lift the limit', async () => {
    const a = await companyToken(h, 0);
    const b = await companyToken(h, 1);
    for (let i = 0; i < 3; i++) {
      await h.http.get('/customers/v2/Customers', bearer(a.token));
    }
    expect((await h.http.get('/customers/v2/Customers', bearer(a.token))).status).toBe(429);
    expect((await h.http.get('/customers/v2/Customers', bearer(b.token))).status).toBe(200);
    h.emu.control.setCompanyLimits(a.companyId, { ratePerSecond: 0 });
    for (let i = 0; i < 20; i++) {
      expect((await h.http.get('/customers/v2/Customers', bearer(a.token))).status).toBe(200);
    }
  });

  it('Retry-After can be switched off', async () => {
    h.emu.control.setLimits({ retryAfter: false });
    const { token } = await companyToken(h, 0);
    for (let i = 0; i < 3; i++) {
      await h.http.get('/customers/v2/Customers', bearer(token));
    }
    const r = await h.http.get('/customers/v2/Customers', bearer(token));
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBeUndefined();
  });

  it('concurrency cap per company: the call over the cap is a volume 429 while others are in flight', async () => {
    h.emu.control.setLimits({ ratePerSecond: 0, concurrency: 2 });
    h.emu.control.setLatency({ fixedMs: 150, jitterMs: 0 });
    const { token } = await companyToken(h, 0);
    const other = await companyToken(h, 1);
    const results = await Promise.all([
      h.http.get('/customers/v2/Customers', bearer(token)),
      h.http.get('/customers/v2/Customers', bearer(token)),
      h.http.get('/customers/v2/Customers', bearer(token)),
      h.http.get('/customers/v2/Customers', bearer(other.token)),
    ]);
    const statuses = results.map((r) => r.status);
    expect(statuses.slice(0, 3).sort()).toEqual([200, 200, 429]);
    expect(statuses[3]).toBe(200);
    expect(results.find((r) => r.status === 429)?.data).toContain('temporary volume restriction');
    // Once they finish, slots are free again.
    expect((await h.http.get('/customers/v2/Customers', bearer(token))).status).toBe(200);
  });

  it('monthly allowance: sticky 429 naming the monthly API call limit, cleared by month rollover', async () => {
    h.emu.control.setLimits({ ratePerSecond: 0, monthlyAllowance: 3 });
    // An API key never expires, so the same credential works across the virtual month.
    const companyId = h.emu.control.subscriberCompanyIds()[0];
    const token = h.emu.control.mintApiKey(companyId).apiKey;
    for (let i = 0; i < 3; i++) {
      expect((await h.http.get('/customers/v2/Customers', bearer(token))).status).toBe(200);
    }
    for (let i = 0; i < 3; i++) {
      const r = await h.http.get('/customers/v2/Customers', bearer(token));
      expect(r.status).toBe(429);
      expect(r.data).toBe(MONTHLY_MESSAGE);
      expect(r.data).toContain('monthly API call limit');
      expect(r.headers['retry-after']).toBeUndefined();
    }
    expect(h.emu.control.monthlyCalls(companyId)).toBe(3);
    // Still blocked later in the same month (the ManualClock starts on 2025-01-01)...
    h.clock.advance(20 * 86400000);
    const later = await h.http.get('/customers/v2/Customers', bearer(token));
    expect([later.status, later.data]).toEqual([429, MONTHLY_MESSAGE]);
    // ...and cleared once the virtual month rolls over.
    h.clock.set(Date.UTC(2025, 1, 1));
    expect((await h.http.get('/customers/v2/Customers', bearer(token))).status).toBe(200);
    expect(h.emu.control.monthlyCalls(companyId)).toBe(1);
    expect(h.emu.control.stats().rateLimited.monthly).toBe(4);
  });

  it('monthly allowance is cleared by reset, and other companies are unaffected', async () => {
    h.emu.control.setLimits({ ratePerSecond: 0, monthlyAllowance: 1 });
    const a = await companyToken(h, 0);
    const b = await companyToken(h, 1);
    await h.http.get('/customers/v2/Customers', bearer(a.token));
    expect((await h.http.get('/customers/v2/Customers', bearer(a.token))).status).toBe(429);
    expect((await h.http.get('/customers/v2/Customers', bearer(b.token))).status).toBe(200);
    h.emu.control.reset();
    h.emu.control.setLimits({ ratePerSecond: 0, monthlyAllowance: 1 });
    const again = await companyToken(h, 0);
    expect((await h.http.get('/customers/v2/Customers', bearer(again.token))).status).toBe(200);
  });

  it('SSO: Login/Refresh are not limited; user-token SSO calls use a per-user bucket with no monthly allowance', async () => {
    h.emu.control.setLimits({ monthlyAllowance: 0 });
    for (let i = 0; i < 6; i++) {
      const r = await h.http.post('/sso/v2/Auth/Login', {
        email_address: 'misp@sandbox.test',
        password: 'sandbox-pass',
      });
      expect(r.status).toBe(200);
    }
    const u = await loginMisp(h);
    for (let i = 0; i < 3; i++) {
      expect((await h.http.get(`/sso/v2/User/${u.userId}/Companies`, bearer(u.token))).status).toBe(200);
    }
    const r = await h.http.get(`/sso/v2/User/${u.userId}/Companies`, bearer(u.token));
    expect(r.status).toBe(429);
    expect(r.data).toContain('temporary volume restriction');
  });
});
