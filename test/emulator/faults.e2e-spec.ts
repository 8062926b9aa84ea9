import axios from 'axios';
import { bearer, companyToken, harness, type Harness, json } from './helpers';

describe('emulator: fault injection', () => {
  let h: Harness;
  let token: string;
  let companyId: string;
  beforeAll(async () => {
    h = await harness({ limits: { ratePerSecond: 0, concurrency: 0 } });
  });
  afterAll(() => h.close());
  beforeEach(async () => {
    h.emu.control.reset();
    ({ token, companyId } = await companyToken(h, 0));
  });

  it('respond: status + body + headers instead of the real handler', async () => {
    const f = h.emu.control.addFault({
      method: 'GET',
      path: '/customers/**',
      action: {
        type: 'respond',
        status: 503,
        body: '<html>gateway</html>',
        headers: { 'Content-Type': 'text/html', 'X-Fault': 'yes' },
      },
    });
    const r = await h.http.get('/customers/v2/Customers', bearer(token));
    expect(r.status).toBe(503);
    expect(r.data).toBe('<html>gateway</html>');
    expect(r.headers['content-type']).toBe('text/html');
    expect(r.headers['x-fault']).toBe('yes');
    // Other methods and paths are untouched.
    expect((await h.http.get('/subscriptions/v2/Subscriptions', bearer(token))).status).toBe(200);
    expect(h.emu.control.journal(2)[0]).toMatchObject({ outcome: 'fault', status: 503, faultId: f.id });
    expect(h.emu.control.stats().faultsFired).toBe(1);
  });

  it('delay: the call is answered normally, late', async () => {
    h.emu.control.addFault({
      path: '/subscriptions/v2/Subscriptions',
      action: { type: 'delay', delayMs: 250 },
    });
    const t0 = performance.now();
    const r = await h.http.get('/subscriptions/v2/Subscriptions', bearer(token));
    expect(r.status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(240);
  });

  it('hang: no answer at all, the client times out; close() still ends the socket', async () => {
    h.emu.control.addFault({ pathRegex: '^/customers/v2/Customer/\\d+$', action: { type: 'hang' } });
    const err = await h.http
      .get('/customers/v2/Customer/1', { ...bearer(token), timeout: 300 })
      .catch((e: unknown) => e);
    if (!axios.isAxiosError(err)) {
      throw new Error('expected an axios error');
    }
    expect(err.code).toBe('ECONNABORTED');
    expect(h.emu.control.journal(1)[0]).toMatchObject({ outcome: 'hang', status: 0 });
  });

  it('drop: the socket is destroyed without a response', async () => {
    h.emu.control.addFault({ method: 'POST', path: '/customers/v2/Customer', action: { type: 'drop' } });
    const err = await h.http
      .post(
        '/customers/v2/Customer',
        { first_name: 'a', last_name: 'b', email_address: 'a@b.test' },
        bearer(token),
      )
      .catch((e: unknown) => e);
    if (!axios.isAxiosError(err)) {
      throw new Error('expected an axios error');
    }
    expect(['ECONNRESET', 'ERR_SOCKET_HANG_UP', 'EPIPE']).toContain(err.code);
    expect(h.emu.control.journal(1)[0]).toMatchObject({ outcome: 'drop' });
    // The POST never reached the handler: nothing was created.
    const list = json(
      (await h.http.get('/customers/v2/Customers?action=equals&EmailAddress=a%40b.test', bearer(token))).data,
    );
    expect(list).toEqual([]);
  });

  it('nth: every n-th matching call', async () => {
    h.emu.control.addFault({
      path: '/customers/v2/Customers',
      nth: 3,
      action: { type: 'respond', status: 500, body: 'INTL-1001 boom' },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) {
      statuses.push((await h.http.get('/customers/v2/Customers', bearer(token))).status);
    }
    expect(statuses).toEqual([200, 200, 500, 200, 200, 500, 200, 200, 500]);
  });

  it('count: fires a fixed number of times, then the rule is spent', async () => {
    const f = h.emu.control.addFault({
      path: '/customers/**',
      count: 2,
      action: { type: 'respond', status: 502 },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await h.http.get('/customers/v2/Customers', bearer(token))).status);
    }
    expect(statuses).toEqual([502, 502, 200, 200]);
    expect(h.emu.control.listFaults().find((x) => x.id === f.id)).toMatchObject({ fired: 2, remaining: 0 });
  });

  it('company match: only calls whose token belongs to that company', async () => {
    const other = await companyToken(h, 1);
    h.emu.control.addFault({ companyId, action: { type: 'respond', status: 500, body: 'x' } });
    expect((await h.http.get('/customers/v2/Customers', bearer(token))).status).toBe(500);
    expect((await h.http.get('/customers/v2/Customers', bearer(other.token))).status).toBe(200);
  });

  it('probability: seeded, so the same rngSeed reproduces the same pattern', async () => {
    const pattern = async (rngSeed: number): Promise<string> => {
      const x = await harness({ rngSeed, limits: { ratePerSecond: 0 } });
      try {
        const t = await companyToken(x, 0);
        x.emu.control.addFault({
          path: '/customers/**',
          probability: 0.5,
          action: { type: 'respond', status: 500 },
        });
        let out = '';
        for (let i = 0; i < 40; i++) {
          out += (await x.http.get('/customers/v2/Customers', bearer(t.token))).status === 500 ? 'F' : '.';
        }
        return out;
      } finally {
        await x.close();
      }
    };
    const a = await pattern(7);
    const b = await pattern(7);
    const c = await pattern(8);
    expect(a).toBe(b);
    expect(a).toMatch(/F/);
    expect(a).toMatch(/\./);
    expect(c).not.toBe(a);
    const fired = a.split('').filter((ch) => ch === 'F').length;
    expect(fired).toBeGreaterThan(8);
    expect(fired).toBeLessThan(32);
  });

  it('over the HTTP control plane: add, list, delete one, clear', async () => {
    const add = await h.http.post('/__emulator/faults', {
      method: 'get',
      path: '/subscriptions/*/Events',
      action: { type: 'respond', status: 504 },
    });
    expect(add.status).toBe(200);
    const id = json(add.data).id;
    expect((await h.http.get('/subscriptions/v2/Events', bearer(token))).status).toBe(504);
    expect(json((await h.http.get('/__emulator/faults')).data).map((f: { id: string }) => f.id)).toEqual([
      id,
    ]);
    expect((await h.http.delete(`/__emulator/faults/${id}`)).status).toBe(200);
    expect((await h.http.get('/subscriptions/v2/Events', bearer(token))).status).toBe(200);
    await h.http.post('/__emulator/faults', { action: { type: 'drop' } });
    await h.http.delete('/__emulator/faults');
    expect((await h.http.get('/subscriptions/v2/Events', bearer(token))).status).toBe(200);
    const invalid = await h.http.post('/__emulator/faults', { action: { type: 'explode' } });
    expect(invalid.status).toBe(400);
    expect(json(invalid.data).error).toContain('action.type');
  });
});
