import { bearer, companyToken, harness, type Harness, json, loginMisp, pagination } from './helpers';

describe('emulator: error bodies and pagination', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ seed: { subscribers: 165 }, pagination: { maxPageSize: 100 } });
  });
  afterAll(() => h.close());
  beforeEach(() => h.emu.control.reset());

  describe('error modes', () => {
    it('plaintext (default): text/plain body holding the vendor code and message', async () => {
      const r = await h.http.get('/customers/v2/Customers');
      expect(r.status).toBe(401);
      expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(r.data).toBe('AUTH-1001 Bearer token is missing or invalid.');
      expect(r.statusText).toBe('Unauthorized');
    });

    it('json: {code, message, help_url}', async () => {
      h.emu.control.setErrorMode('json');
      const r = await h.http.get('/customers/v2/Customers');
      expect(r.status).toBe(401);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(json(r.data)).toEqual({
        code: 'AUTH-1001',
        message: 'Bearer token is missing or invalid.',
        help_url: 'https://support.ipaas.com/en/articles/15461548-authentication-errors',
      });
    });

    it('reason-phrase: empty body, the message in the HTTP status line', async () => {
      h.emu.control.setErrorMode('reason-phrase');
      const r = await h.http.get('/customers/v2/Customers');
      expect(r.status).toBe(401);
      expect(r.data).toBe('');
      expect(r.statusText).toBe('AUTH-1001 Bearer token is missing or invalid.');
    });

    it('can be switched over the HTTP control plane too', async () => {
      const put = await h.http.put('/__emulator/error-mode', { mode: 'json' });
      expect(json(put.data)).toEqual({ mode: 'json' });
      expect(h.emu.control.getErrorMode()).toBe('json');
      expect((await h.http.put('/__emulator/error-mode', { mode: 'xml' })).status).toBe(400);
    });

    it('400 for invalid JSON, 404 for unknown ids and unknown routes', async () => {
      const { token } = await companyToken(h);
      const bad = await h.http.post('/customers/v2/Customer', '{nope', {
        headers: { Authorization: token, 'Content-Type': 'application/json' },
      });
      expect(bad.status).toBe(400);
      expect(bad.data).toContain('VALD-1003');
      const empty = await h.http.post('/customers/v2/Customer', undefined, bearer(token));
      expect(empty.status).toBe(400);
      const unknown = await h.http.get('/customers/v2/Customer/424242', bearer(token));
      expect(unknown.status).toBe(404);
      expect(unknown.data).toBe('NFND-1005 Customer not found by id (424242).');
      const route = await h.http.get('/customers/v2/NoSuchThing', bearer(token));
      expect(route.status).toBe(404);
      expect(route.headers['content-type']).toMatch(/^text\/plain/);
      // Routing is case-insensitive, like the vendor's ASP.NET.
      expect((await h.http.get('/CUSTOMERS/v2/customers', bearer(token))).status).toBe(200);
    });
  });

  describe('pagination', () => {
    it('multi page: X-Pagination exactly as the vendor introduction shows (key order included)', async () => {
      const u = await loginMisp(h);
      const r = await h.http.get(
        `/sso/v2/User/${u.userId}/Companies?pageNumber=1&pageSize=50`,
        bearer(u.token),
      );
      // 165 subscribers + the MiSP itself = 166.
      expect(r.headers['x-pagination']).toBe(
        '{"total_Count":166,"page_Size":50,"current_Page":1,"total_Pages":4,"previous_Page":"No","next_Page":"Yes"}',
      );
      expect(json(r.data)).toHaveLength(50);
      const last = await h.http.get(
        `/sso/v2/User/${u.userId}/Companies?pageNumber=4&pageSize=50`,
        bearer(u.token),
      );
      expect(json(last.data)).toHaveLength(16);
      expect(pagination(last)).toMatchObject({ current_Page: 4, previous_Page: 'Yes', next_Page: 'No' });
      // Pages partition the list: no item twice, none missing.
      const ids: string[] = [];
      for (let p = 1; p <= 4; p++) {
        ids.push(
          ...json(
            (
              await h.http.get(
                `/sso/v2/User/${u.userId}/Companies?pageNumber=${p}&pageSize=50`,
                bearer(u.token),
              )
            ).data,
          ).map((c: { id: string }) => c.id),
        );
      }
      expect(new Set(ids).size).toBe(166);
    });

    it('one page and defaults: header sent, pageSize 50 by default, pageNumber 1', async () => {
      const { token } = await companyToken(h);
      const r = await h.http.get('/subscriptions/v2/Subscriptions', bearer(token));
      expect(r.headers['x-pagination']).toBe(
        '{"total_Count":3,"page_Size":50,"current_Page":1,"total_Pages":1,"previous_Page":"No","next_Page":"No"}',
      );
    });

    it('empty result: header with zero count and zero pages', async () => {
      const { token } = await companyToken(h);
      const r = await h.http.get(
        '/customers/v2/Customers?action=equals&EmailAddress=none%40x.test',
        bearer(token),
      );
      expect(json(r.data)).toEqual([]);
      expect(r.headers['x-pagination']).toBe(
        '{"total_Count":0,"page_Size":50,"current_Page":1,"total_Pages":0,"previous_Page":"No","next_Page":"No"}',
      );
    });

    it('page out of range: [] with the header; pageSize above the max is clamped; bad values are 400', async () => {
      const { token } = await companyToken(h);
      const r = await h.http.get('/subscriptions/v2/Subscriptions?pageNumber=9&pageSize=2', bearer(token));
      expect(r.status).toBe(200);
      expect(json(r.data)).toEqual([]);
      expect(pagination(r)).toEqual({
        total_Count: 3,
        page_Size: 2,
        current_Page: 9,
        total_Pages: 2,
        previous_Page: 'Yes',
        next_Page: 'No',
      });
      const mispToken = h.emu.control.mintCompanyToken(
        h.emu.control.demo()?.mispCompanyId as string,
      ).accessToken;
      const big = await h.http.get('/sso/v2/MiSP/Subscribers?pageSize=5000', bearer(mispToken));
      expect(pagination(big)).toMatchObject({ page_Size: 100, total_Pages: 2 });
      expect(json(big.data)).toHaveLength(100);
      expect((await h.http.get('/subscriptions/v2/Subscriptions?pageNumber=0', bearer(token))).status).toBe(
        400,
      );
      expect((await h.http.get('/subscriptions/v2/Subscriptions?pageSize=abc', bearer(token))).status).toBe(
        400,
      );
    });

    it('every list route sends X-Pagination', async () => {
      const c = h.emu.control;
      const demo = c.demo();
      const u = await loginMisp(h);
      const misp = c.mintCompanyToken(demo?.mispCompanyId as string).accessToken;
      const { token } = await companyToken(h);
      const lists: [string, string][] = [
        [`/sso/v2/User/${u.userId}/Companies`, u.token],
        ['/sso/v2/Users', token],
        ['/sso/v2/Roles', token],
        ['/sso/v2/ApiKeys', token],
        ['/sso/v2/MiSP/SubscriberRequests', misp],
        ['/sso/v2/MiSP/RoleShares', misp],
        ['/sso/v2/MiSP/Subscribers', misp],
        ['/sso/v2/Subscriber/RoleShareRequests', token],
        ['/subscriptions/v2/Subscriptions', token],
        ['/subscriptions/v2/Events', token],
        ['/customers/v2/Customers', token],
      ];
      for (const [path, t] of lists) {
        const r = await h.http.get(path, bearer(t));
        expect([path, r.status]).toEqual([path, 200]);
        const page = pagination(r);
        expect(Object.keys(page)).toEqual([
          'total_Count',
          'page_Size',
          'current_Page',
          'total_Pages',
          'previous_Page',
          'next_Page',
        ]);
        expect(Array.isArray(json(r.data))).toBe(true);
        expect(page.total_Count as number).toBeGreaterThanOrEqual(json(r.data).length);
      }
    });
  });
});
