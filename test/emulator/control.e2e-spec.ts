import http from 'node:http';
import { ManualClock, ROUTES, startEmulator } from '../../src/ipaas-emulator';
import { bearer, companyToken, harness, json, loginMisp } from './helpers';

describe('emulator: control plane, journal, stats, determinism', () => {
  it('journal is a bounded ring buffer: keeps the newest N entries, counts them all', async () => {
    const h = await harness({ journalSize: 5 });
    try {
      const { token } = await companyToken(h, 0);
      h.emu.control.clearJournal();
      for (let i = 0; i < 20; i++) {
        await h.http.get(`/customers/v2/Customers?pageNumber=${i + 1}`, bearer(token));
      }
      const entries = h.emu.control.journal();
      expect(entries).toHaveLength(5);
      expect(entries.map((e) => e.url)).toEqual(
        [16, 17, 18, 19, 20].map((n) => `/customers/v2/Customers?pageNumber=${n}`),
      );
      expect(h.emu.control.journalTotal()).toBe(20);
      const viaHttp = json<{ capacity: number; total: number; entries: { seq: number }[] }>(
        (await h.http.get('/__emulator/requests?limit=2')).data,
      );
      expect(viaHttp.capacity).toBe(5);
      expect(viaHttp.total).toBe(20);
      expect(viaHttp.entries.map((e) => e.seq)).toEqual([entries[3].seq, entries[4].seq]);
      expect(entries[4]).toMatchObject({
        method: 'GET',
        route: '/customers/v2/Customers',
        status: 200,
        tokenClass: 'company',
      });
    } finally {
      await h.close();
    }
  });

  it('stats count calls per route and per company', async () => {
    const h = await harness();
    try {
      const a = await companyToken(h, 0);
      const b = await companyToken(h, 1);
      h.emu.control.reset();
      const a2 = await companyToken(h, 0);
      await h.http.get('/customers/v2/Customers', bearer(a2.token));
      await h.http.get('/customers/v2/Customers', bearer(a2.token));
      await h.http.get('/subscriptions/v2/Subscriptions', bearer(a2.token));
      const s = json((await h.http.get('/__emulator/stats')).data);
      expect(s.byRoute).toEqual({
        'POST /sso/v2/Auth/Login': 1,
        'GET /sso/v2/User/ChangeCompany/:companyId': 1,
        'GET /customers/v2/Customers': 2,
        'GET /subscriptions/v2/Subscriptions': 1,
      });
      expect(s.byCompany).toEqual({ [a.companyId]: 3 });
      expect(s.byStatus).toEqual({ '200': 5 });
      expect(s.duplicateCreates).toBe(0);
      expect(b.companyId).not.toBe(a.companyId);
    } finally {
      await h.close();
    }
  });

  it('deterministic: the same rngSeed gives the same ids and tokens; another seed does not', async () => {
    const run = async (rngSeed: number) => {
      const h = await harness({ rngSeed });
      try {
        const u = await loginMisp(h);
        return { ids: h.emu.control.subscriberCompanyIds().join(','), token: u.token };
      } finally {
        await h.close();
      }
    };
    const a = await run(3);
    const b = await run(3);
    const c = await run(4);
    expect(a).toEqual(b);
    expect(c.ids).not.toBe(a.ids);
    expect(c.token).not.toBe(a.token);
    expect(a.token.length).toBeGreaterThanOrEqual(40);
  });

  // How fast a 20,000-company seed is, is measured by `npm run bench:emulator` (reseed), not bounded here.
  it('seeds 20,000 subscribers, and they are all reachable', async () => {
    const h = await harness({ seed: false });
    try {
      const demo = h.emu.control.seed({ subscribers: 20000, pendingRequests: 5 });
      expect(demo).toMatchObject({
        subscriberCount: 20000,
        pendingRequestCount: 5,
        email: 'misp@sandbox.test',
      });
      const u = await loginMisp(h);
      const r = await h.http.get(
        `/sso/v2/User/${u.userId}/Companies?pageSize=1000&pageNumber=21`,
        bearer(u.token),
      );
      expect(json(r.data)).toHaveLength(1); // 20,001 companies: the MiSP + 20,000
      const last = h.emu.control.subscriberCompanyIds()[19999];
      expect((await h.http.get(`/sso/v2/User/ChangeCompany/${last}`, bearer(u.token))).status).toBe(200);
      expect(() => h.emu.control.seed({ subscribers: 20001 })).toThrow('seed.subscribers must be <= 20000');
    } finally {
      await h.close();
    }
  });

  it('seed: false starts empty; HTTP /seed and /reset rebuild the demo', async () => {
    const h = await harness({ seed: false });
    try {
      expect(h.emu.control.demo()).toBeNull();
      const login = await h.http.post('/sso/v2/Auth/Login', {
        email_address: 'misp@sandbox.test',
        password: 'sandbox-pass',
      });
      expect(login.status).toBe(401);
      const seeded = json(
        (await h.http.post('/__emulator/seed', { subscribers: 2, pendingRequests: 1 })).data,
      );
      expect(seeded.demo).toMatchObject({
        subscriberCount: 2,
        pendingRequestCount: 1,
        mispCompanyName: 'Sandbox MiSP',
      });
      await loginMisp(h);
      const reset = json((await h.http.post('/__emulator/reset')).data);
      expect(reset.demo.subscriberCount).toBe(2);
      expect(json((await h.http.get('/__emulator/demo')).data).mispUserId).toBe(seeded.demo.mispUserId);
    } finally {
      await h.close();
    }
  });

  it('HTTP control plane: clock, latency, limits, api keys, tokens, lifecycle helpers, routes, health', async () => {
    const clock = new ManualClock(Date.UTC(2025, 5, 1));
    const h = await harness({ clock });
    try {
      expect(json((await h.http.get('/__emulator/clock')).data)).toEqual({
        now: clock.now(),
        iso: '2025-06-01T00:00:00.000+00:00',
      });
      const adv = json((await h.http.post('/__emulator/clock/advance', { ms: 3600000 })).data);
      expect(adv.iso).toBe('2025-06-01T01:00:00.000+00:00');
      expect((await h.http.post('/__emulator/clock', { seconds: 60 })).status).toBe(200);
      expect(clock.now()).toBe(Date.UTC(2025, 5, 1, 1, 1));
      expect((await h.http.post('/__emulator/clock/advance', { ms: -5 })).status).toBe(400);

      expect(json((await h.http.put('/__emulator/latency', { fixedMs: 5, jitterMs: 2 })).data)).toEqual({
        fixedMs: 5,
        jitterMs: 2,
      });
      expect(h.emu.control.getLatency()).toEqual({ fixedMs: 5, jitterMs: 2 });
      await h.http.put('/__emulator/latency', { fixedMs: 0, jitterMs: 0 });

      const sub = json((await h.http.get('/__emulator/subscribers')).data)[0];
      const lim = json(
        (await h.http.put(`/__emulator/companies/${sub}/limits`, { monthlyAllowance: 10 })).data,
      );
      expect(lim.monthlyAllowance).toBe(10);
      expect((await h.http.put('/__emulator/limits', { burst: 0 })).status).toBe(400);

      const key = json((await h.http.post(`/__emulator/companies/${sub}/api-keys`, { name: 'k' })).data);
      expect((await h.http.get('/customers/v2/Customers', bearer(key.apiKey))).status).toBe(200);
      const tok = json((await h.http.post(`/__emulator/companies/${sub}/tokens`, {})).data);
      expect((await h.http.get('/customers/v2/Customers', bearer(tok.accessToken))).status).toBe(200);
      expect(json((await h.http.get(`/__emulator/companies/${sub}/limits`)).data).monthlyCalls).toBe(2);

      const req = json(
        (await h.http.post('/__emulator/subscriber-requests', { companyName: 'Via HTTP' })).data,
      );
      expect(req).toMatchObject({ companyName: 'Via HTTP', adminPassword: 'sandbox-pass' });
      const user = json(
        (await h.http.get(`/__emulator/users?email=${encodeURIComponent(req.adminEmail)}`)).data,
      );
      expect(user.companyIds).toEqual([req.companyId]);
      expect((await h.http.get('/__emulator/users?email=nobody%40x')).status).toBe(404);
      expect((await h.http.post('/__emulator/role-shares/999/approve')).status).toBe(400);

      const routes = json<
        {
          path: string;
          provisional: boolean;
        }[]
      >((await h.http.get('/__emulator/routes')).data);
      expect(routes).toHaveLength(ROUTES.length);
      expect(routes.find((r) => r.path === '/sso/v2/Auth/Login')?.provisional).toBe(false);
      expect(routes.find((r) => r.path === '/sso/v2/MiSP/Subscribers')?.provisional).toBe(true);
      const health = json((await h.http.get('/__emulator/health')).data);
      expect(health).toMatchObject({ ok: true, companies: 32 }); // MiSP + 25 + 5 pending + 'Via HTTP'
      expect((await h.http.get('/__emulator/nope')).status).toBe(404);
      // Control calls are not journaled.
      expect(h.emu.control.journal().every((e) => !e.url.startsWith('/__emulator'))).toBe(true);
    } finally {
      await h.close();
    }
  });

  it('vendor routes never live under the control prefix, and all use the documented base paths', () => {
    for (const r of ROUTES) {
      expect(r.path).toMatch(/^\/(sso|subscriptions|customers|hookapi)\/v2\//);
    }
  });

  it('close() ends keep-alive sockets promptly', async () => {
    const emu = await startEmulator({ port: 0 });
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      http
        .get(`${emu.url}/__emulator/health`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve());
        })
        .on('error', reject);
    });
    const t0 = performance.now();
    await emu.close();
    expect(performance.now() - t0).toBeLessThan(1000);
    agent.destroy();
  });
});
