import { ACCESS_TOKEN_TTL_MS } from '../../src/ipaas-emulator';
import { bearer, companyToken, harness, type Harness, json, loginMisp } from './helpers';

describe('emulator: SSO authentication and token classes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.close());
  beforeEach(() => h.emu.control.reset());

  it('logs in with the demo MiSP user and returns the documented LoginResponse fields', async () => {
    const r = await h.http.post('/sso/v2/Auth/Login', {
      email_address: 'misp@sandbox.test',
      password: 'sandbox-pass',
      tracking_guid: 'abc',
    });
    expect(r.status).toBe(200);
    const b = json(r.data);
    expect(Object.keys(b).sort()).toEqual(
      [
        'access_token',
        'access_token_expiration',
        'email_address',
        'id',
        'name',
        'permissions',
        'refresh_token',
        'return_url',
        'tracking_guid',
      ].sort(),
    );
    expect(b.email_address).toBe('misp@sandbox.test');
    expect(b.id).toBe(h.emu.control.findUser('misp@sandbox.test')?.id);
    expect(b.tracking_guid).toBe('abc');
    expect(Date.parse(b.access_token_expiration)).toBe(h.clock.now() + ACCESS_TOKEN_TTL_MS);
    expect(b.access_token_expiration).toMatch(/\+00:00$/);
  });

  it('refuses missing fields with 400 VALD-1047 and bad credentials with 401', async () => {
    const missing = await h.http.post('/sso/v2/Auth/Login', { email_address: 'misp@sandbox.test' });
    expect(missing.status).toBe(400);
    expect(missing.data).toContain('VALD-1047');
    expect(missing.headers['content-type']).toMatch(/^text\/plain/);
    const wrong = await h.http.post('/sso/v2/Auth/Login', {
      email_address: 'misp@sandbox.test',
      password: 'nope',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.data).toContain('AUTH-1001');
    const invalidJson = await h.http.post('/sso/v2/Auth/Login', '{"email_address":', {
      headers: { 'Content-Type': 'application/json' },
    });
    expect(invalidJson.status).toBe(400);
    expect(invalidJson.data).toContain('VALD-1003');
  });

  it('lets seeded subscriber users log in (their company is generated on first use)', async () => {
    const r = await h.http.post('/sso/v2/Auth/Login', {
      email_address: 'admin@sub-00003.sandbox.test',
      password: 'sandbox-pass',
    });
    expect(r.status).toBe(200);
    const b = json(r.data);
    const companies = json<{ name: string }[]>(
      (await h.http.get(`/sso/v2/User/${b.id}/Companies`, bearer(b.access_token))).data,
    );
    expect(companies.map((c) => c.name)).toEqual(['Sandbox Subscriber 00003']);
  });

  it('accepts the raw token and the Bearer form; refuses a missing or unknown token with 401 AUTH-1001', async () => {
    const u = await loginMisp(h);
    const raw = await h.http.get(`/sso/v2/User/${u.userId}/Companies`, {
      headers: { Authorization: u.token },
    });
    const bear = await h.http.get(`/sso/v2/User/${u.userId}/Companies`, bearer(u.token));
    expect(raw.status).toBe(200);
    expect(bear.status).toBe(200);
    expect(raw.data).toBe(bear.data);
    const none = await h.http.get(`/sso/v2/User/${u.userId}/Companies`);
    expect(none.status).toBe(401);
    expect(none.data).toContain('AUTH-1001');
    const unknown = await h.http.get(`/sso/v2/User/${u.userId}/Companies`, bearer(`${u.token}x`));
    expect(unknown.status).toBe(401);
    expect(unknown.data).toContain('AUTH-1001');
  });

  it("lists the user's companies with the documented fields; another user's id is refused", async () => {
    const u = await loginMisp(h);
    const r = await h.http.get(`/sso/v2/User/${u.userId}/Companies?pageSize=100`, bearer(u.token));
    const list = json<Record<string, unknown>[]>(r.data);
    expect(list).toHaveLength(26); // the MiSP itself + 25 approved subscribers with an active role share
    expect(list[0]).toEqual({
      id: h.emu.control.demo()?.mispCompanyId,
      name: 'Sandbox MiSP',
      logo: null,
      designation_id: 2,
      user_type_id: 1,
      designations: { '2': 'MiSP' },
    });
    expect(list.slice(1).map((c) => c.id)).toEqual(h.emu.control.subscriberCompanyIds());
    const other = await h.http.get(`/sso/v2/User/${u.userId + 1}/Companies`, bearer(u.token));
    expect(other.status).toBe(401);
    expect(other.data).toContain('AUTH-1003');
  });

  it('ChangeCompany issues a company token; an inaccessible or unknown company is 401 AUTH-1004', async () => {
    const u = await loginMisp(h);
    const sub = h.emu.control.subscriberCompanyIds()[0];
    const ok = await h.http.get(`/sso/v2/User/ChangeCompany/${sub}`, bearer(u.token));
    expect(ok.status).toBe(200);
    const b = json(ok.data);
    expect(b.access_token).not.toBe(u.token);
    expect(b.refresh_token).toEqual(expect.any(String));
    expect(b.permissions).toHaveProperty('Customer');
    // A pending subscriber (no relationship, no role share) is not accessible.
    const pending = h.emu.control.createSubscriberRequest();
    const refused = await h.http.get(`/sso/v2/User/ChangeCompany/${pending.companyId}`, bearer(u.token));
    expect(refused.status).toBe(401);
    expect(refused.data).toBe(`AUTH-1004 Company not found by id (${pending.companyId}) provided.`);
    const unknown = await h.http.get(
      '/sso/v2/User/ChangeCompany/00000000-0000-4000-8000-000000000000',
      bearer(u.token),
    );
    expect(unknown.status).toBe(401);
    expect(unknown.data).toContain('AUTH-1004');
    const garbage = await h.http.get('/sso/v2/User/ChangeCompany/not-a-guid', bearer(u.token));
    expect(garbage.status).toBe(401);
  });

  it('token classes: a user token on a data API is 401 AUTH-1003; company token, API key work; webhook key only on hooks', async () => {
    const c = await companyToken(h, 0);
    const userOnData = await h.http.get('/subscriptions/v2/Subscriptions', bearer(c.userToken));
    expect(userOnData.status).toBe(401);
    expect(userOnData.data).toContain('AUTH-1003');
    expect((await h.http.get('/subscriptions/v2/Subscriptions', bearer(c.token))).status).toBe(200);

    const key = h.emu.control.mintApiKey(c.companyId, { name: 'Tenantry' });
    const viaKey = await h.http.get('/customers/v2/Customers', bearer(key.apiKey));
    expect(viaKey.status).toBe(200);
    // An API key is already company-scoped: it cannot list a user's companies or ChangeCompany.
    const keyOnSso = await h.http.get(`/sso/v2/User/ChangeCompany/${c.companyId}`, bearer(key.apiKey));
    expect(keyOnSso.status).toBe(401);

    const sub = json(
      (
        await h.http.get(
          `/subscriptions/v2/Subscription/${json((await h.http.get('/subscriptions/v2/Subscriptions', bearer(c.token))).data)[0].id}`,
          bearer(c.token),
        )
      ).data,
    );
    const hookOnData = await h.http.get('/subscriptions/v2/Subscriptions', bearer(sub.webhook_api_key));
    expect(hookOnData.status).toBe(401);
    const companyOnHook = await h.http.post(
      '/hookapi/v2/iPaaS',
      { notifications: [{ scope: 'customer/created' }] },
      bearer(c.token),
    );
    expect(companyOnHook.status).toBe(401);
  });

  it('access tokens expire after 1 hour on the virtual clock (401 AUTH-1002) and refresh keeps the company scope', async () => {
    const c = await companyToken(h, 1);
    h.clock.advance(ACCESS_TOKEN_TTL_MS - 1);
    expect((await h.http.get('/subscriptions/v2/Subscriptions', bearer(c.token))).status).toBe(200);
    h.clock.advance(1);
    const expired = await h.http.get('/subscriptions/v2/Subscriptions', bearer(c.token));
    expect(expired.status).toBe(401);
    expect(expired.data).toContain('AUTH-1002');

    const r = await h.http.post('/sso/v2/Auth/Refresh', { access_token: c.token, refresh_token: c.refresh });
    expect(r.status).toBe(200);
    const b = json(r.data);
    expect(b.access_token).not.toBe(c.token);
    expect(b.refresh_token).toBe(c.refresh);
    expect(Date.parse(b.access_token_expiration)).toBe(h.clock.now() + ACCESS_TOKEN_TTL_MS);
    const again = await h.http.get('/subscriptions/v2/Subscriptions', bearer(b.access_token));
    expect(again.status).toBe(200); // still a company token for the same company
    expect(h.emu.control.journal(1)[0].companyId).toBe(c.companyId);
    // The chain can go on: the new access token + the same refresh token.
    const r2 = await h.http.post('/sso/v2/Auth/Refresh', {
      access_token: b.access_token,
      refresh_token: c.refresh,
    });
    expect(r2.status).toBe(200);
  });

  it('refresh checks the refresh token against its access token and validates the body', async () => {
    const a = await loginMisp(h);
    const b = await loginMisp(h);
    const crossed = await h.http.post('/sso/v2/Auth/Refresh', {
      access_token: a.token,
      refresh_token: b.refresh,
    });
    expect(crossed.status).toBe(401);
    expect(crossed.data).toContain('AUTH-1002');
    const missing = await h.http.post('/sso/v2/Auth/Refresh', { access_token: a.token });
    expect(missing.status).toBe(400);
    expect(missing.data).toContain('VALD-1080');
    const userRefresh = await h.http.post('/sso/v2/Auth/Refresh', {
      access_token: a.token,
      refresh_token: a.refresh,
    });
    expect(userRefresh.status).toBe(200);
    // A refreshed user token is still a user token: refused on data APIs.
    const t = json(userRefresh.data).access_token;
    expect((await h.http.get('/customers/v2/Customers', bearer(t))).status).toBe(401);
  });

  it('API keys can expire on the virtual clock', async () => {
    const sub = h.emu.control.subscriberCompanyIds()[2];
    const key = h.emu.control.mintApiKey(sub, { expiresInDays: 60 });
    expect((await h.http.get('/customers/v2/Customers', bearer(key.apiKey))).status).toBe(200);
    h.clock.advance(60 * 86400000);
    const r = await h.http.get('/customers/v2/Customers', bearer(key.apiKey));
    expect(r.status).toBe(401);
    expect(r.data).toContain('AUTH-1002');
  });

  it('provisional API-key routes: create shows the secret once, list hides it, delete revokes it', async () => {
    const c = await companyToken(h, 0);
    const created = await h.http.post(
      '/sso/v2/ApiKeys',
      { name: 'ci', expiration_days: 90 },
      bearer(c.token),
    );
    expect(created.status).toBe(201);
    const k = json(created.data);
    expect(k.api_key).toEqual(expect.any(String));
    const list = json<Record<string, unknown>[]>((await h.http.get('/sso/v2/ApiKeys', bearer(c.token))).data);
    expect(list.find((x) => x.id === k.id)).not.toHaveProperty('api_key');
    const bad = await h.http.post('/sso/v2/ApiKeys', { name: 'x', expiration_days: 7 }, bearer(c.token));
    expect(bad.status).toBe(400);
    expect((await h.http.get('/customers/v2/Customers', bearer(k.api_key))).status).toBe(200);
    expect((await h.http.delete(`/sso/v2/ApiKey/${k.id}`, bearer(c.token))).status).toBe(204);
    expect((await h.http.get('/customers/v2/Customers', bearer(k.api_key))).status).toBe(401);
  });
});
