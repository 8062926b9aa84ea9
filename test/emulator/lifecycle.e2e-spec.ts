import { bearer, harness, type Harness, json, loginMisp } from './helpers';

describe('emulator: MiSP relationship lifecycle (provisional routes), end to end over HTTP', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ seed: { subscribers: 3, pendingRequests: 2 } });
  });
  afterAll(() => h.close());

  it('request -> approve -> role share -> subscriber approves -> appears -> ChangeCompany -> remove -> refused', async () => {
    const c = h.emu.control;
    const misp = await loginMisp(h);
    const mispToken = json(
      (await h.http.get(`/sso/v2/User/ChangeCompany/${c.demo()?.mispCompanyId}`, bearer(misp.token))).data,
    ).access_token as string;

    // 1. A new subscriber company asks the MiSP (through the vendor route, as its own admin).
    const fresh = c.createSubscriberRequest({ companyName: 'Acme Corp' });
    const pendingList = json<Record<string, unknown>[]>(
      (await h.http.get('/sso/v2/MiSP/SubscriberRequests?status=pending', bearer(mispToken))).data,
    );
    expect(pendingList.map((r) => r.subscriber_company_name)).toEqual([
      'Pending Subscriber 001',
      'Pending Subscriber 002',
      'Acme Corp',
    ]);
    const req = pendingList.find((r) => r.subscriber_company_id === fresh.companyId) as Record<
      string,
      unknown
    >;
    expect(req.id).toBe(fresh.requestId);

    // Not yet visible, not yet accessible.
    const before = json<
      {
        id: string;
      }[]
    >((await h.http.get(`/sso/v2/User/${misp.userId}/Companies`, bearer(misp.token))).data);
    expect(before.map((x) => x.id)).not.toContain(fresh.companyId);

    // 2. MiSP approves the subscriber request.
    const approved = await h.http.put(
      `/sso/v2/MiSP/SubscriberRequest/${String(req.id)}/Approve`,
      undefined,
      bearer(mispToken),
    );
    expect(approved.status).toBe(200);
    expect(json(approved.data).status).toBe('approved');
    const twice = await h.http.put(
      `/sso/v2/MiSP/SubscriberRequest/${String(req.id)}/Approve`,
      undefined,
      bearer(mispToken),
    );
    expect(twice.status).toBe(400);
    const subs = json<
      {
        company_id: string;
        active_role_shares: number;
      }[]
    >((await h.http.get('/sso/v2/MiSP/Subscribers?pageSize=100', bearer(mispToken))).data);
    expect(subs.find((s) => s.company_id === fresh.companyId)?.active_role_shares).toBe(0);
    // Approved but no role share yet: still not accessible.
    expect(
      (await h.http.get(`/sso/v2/User/ChangeCompany/${fresh.companyId}`, bearer(misp.token))).status,
    ).toBe(401);

    // 3. MiSP requests a role share of its "MiSP Operator" role.
    const share = await h.http.post(
      '/sso/v2/MiSP/RoleShares',
      { subscriber_company_id: fresh.companyId, role_id: c.demo()?.mispRoleId, purpose: 'support' },
      bearer(mispToken),
    );
    expect(share.status).toBe(201);
    const s = json(share.data);
    expect(s).toMatchObject({
      status: 'pending',
      subscriber_company_id: fresh.companyId,
      role_name: 'MiSP Operator',
    });
    const pendingShares = json(
      (await h.http.get('/sso/v2/MiSP/RoleShares?status=pending', bearer(mispToken))).data,
    );
    expect(pendingShares.map((x: { id: number }) => x.id)).toEqual([s.id]);

    // 4. The subscriber approves it through its own (provisional) route.
    const subLogin = json(
      (
        await h.http.post('/sso/v2/Auth/Login', {
          email_address: fresh.adminEmail,
          password: fresh.adminPassword,
        })
      ).data,
    );
    const subToken = json(
      (await h.http.get(`/sso/v2/User/ChangeCompany/${fresh.companyId}`, bearer(subLogin.access_token))).data,
    ).access_token as string;
    const incoming = json((await h.http.get('/sso/v2/Subscriber/RoleShareRequests', bearer(subToken))).data);
    expect(incoming.map((x: { id: number }) => x.id)).toEqual([s.id]);
    const ok = await h.http.put(
      `/sso/v2/Subscriber/RoleShareRequest/${s.id}/Approve`,
      undefined,
      bearer(subToken),
    );
    expect(ok.status).toBe(200);
    expect(json(ok.data).status).toBe('active');

    // 5. The company appears in the MiSP user's Companies, and ChangeCompany works.
    const after = json<{ id: string; user_type_id: number }[]>(
      (await h.http.get(`/sso/v2/User/${misp.userId}/Companies?pageSize=100`, bearer(misp.token))).data,
    );
    expect(after.find((x) => x.id === fresh.companyId)).toMatchObject({ user_type_id: 2 });
    const change = await h.http.get(`/sso/v2/User/ChangeCompany/${fresh.companyId}`, bearer(misp.token));
    expect(change.status).toBe(200);
    const tok = json(change.data);
    expect((await h.http.get('/subscriptions/v2/Subscriptions', bearer(tok.access_token))).status).toBe(200);

    // 6. The MiSP removes the subscriber: ChangeCompany is refused, and so are the tokens already issued.
    const removed = await h.http.delete(`/sso/v2/MiSP/Subscriber/${fresh.companyId}`, bearer(mispToken));
    expect(removed.status).toBe(204);
    const refused = await h.http.get(`/sso/v2/User/ChangeCompany/${fresh.companyId}`, bearer(misp.token));
    expect(refused.status).toBe(401);
    expect(refused.data).toContain('AUTH-1004');
    const oldToken = await h.http.get('/subscriptions/v2/Subscriptions', bearer(tok.access_token));
    expect(oldToken.status).toBe(401);
    expect(oldToken.data).toContain('AUTH-1004');
    const refresh = await h.http.post('/sso/v2/Auth/Refresh', {
      access_token: tok.access_token,
      refresh_token: tok.refresh_token,
    });
    expect(refresh.status).toBe(401);
    const gone = json(
      (await h.http.get(`/sso/v2/User/${misp.userId}/Companies?pageSize=100`, bearer(misp.token))).data,
    );
    expect(gone.map((x: { id: string }) => x.id)).not.toContain(fresh.companyId);
    // Role shares went with the relationship; the subscriber's own admin keeps access to its company.
    expect(
      json((await h.http.get('/sso/v2/MiSP/RoleShares', bearer(mispToken))).data).map(
        (x: { id: number }) => x.id,
      ),
    ).not.toContain(s.id);
    expect((await h.http.get('/subscriptions/v2/Subscriptions', bearer(subToken))).status).toBe(200);
    // Removing again is a 404; other subscribers are untouched.
    expect(
      (await h.http.delete(`/sso/v2/MiSP/Subscriber/${fresh.companyId}`, bearer(mispToken))).status,
    ).toBe(404);
    const other = c.subscriberCompanyIds()[0];
    expect((await h.http.get(`/sso/v2/User/ChangeCompany/${other}`, bearer(misp.token))).status).toBe(200);
  });

  it('deny, delete and subscriber-side revocation; MiSP routes need a MiSP company token', async () => {
    h.emu.control.reset();
    const c = h.emu.control;
    const misp = await loginMisp(h);
    const mispToken = c.mintCompanyToken(c.demo()?.mispCompanyId as string).accessToken;
    const reqs = json(
      (await h.http.get('/sso/v2/MiSP/SubscriberRequests?status=pending', bearer(mispToken))).data,
    );
    const denied = await h.http.put(
      `/sso/v2/MiSP/SubscriberRequest/${reqs[0].id}/Deny`,
      undefined,
      bearer(mispToken),
    );
    expect(json(denied.data).status).toBe('denied');
    const bogus = await h.http.get('/sso/v2/MiSP/SubscriberRequests?status=bogus', bearer(mispToken));
    expect(bogus.status).toBe(400);

    // A subscriber company token is refused on MiSP routes.
    const sub = c.subscriberCompanyIds()[0];
    const adminId = c.findUser('admin@sub-00001.sandbox.test')?.id as number;
    const adminToken = c.mintCompanyToken(sub, adminId).accessToken;
    const mispOnSub = c.mintCompanyToken(sub).accessToken; // the MiSP user, through the seeded role share
    expect((await h.http.get('/sso/v2/MiSP/Subscribers', bearer(adminToken))).status).toBe(401);
    expect((await h.http.get('/subscriptions/v2/Subscriptions', bearer(mispOnSub))).status).toBe(200);

    // The subscriber's admin revokes the seeded active share: the MiSP user's existing token stops working.
    const shares = json(
      (await h.http.get('/sso/v2/Subscriber/RoleShareRequests?status=active', bearer(adminToken))).data,
    );
    expect(shares).toHaveLength(1);
    expect(
      (await h.http.delete(`/sso/v2/Subscriber/RoleShareRequest/${shares[0].id}`, bearer(adminToken))).status,
    ).toBe(204);
    expect((await h.http.get('/subscriptions/v2/Subscriptions', bearer(mispOnSub))).status).toBe(401);
    expect((await h.http.get(`/sso/v2/User/ChangeCompany/${sub}`, bearer(misp.token))).status).toBe(401);
    expect((await h.http.get('/subscriptions/v2/Subscriptions', bearer(adminToken))).status).toBe(200);

    // Role share request for a company the MiSP does not serve -> 404; missing fields -> 400.
    const notServed = await h.http.post(
      '/sso/v2/MiSP/RoleShares',
      { subscriber_company_id: '00000000-0000-4000-8000-000000000000', role_id: c.demo()?.mispRoleId },
      bearer(mispToken),
    );
    expect(notServed.status).toBe(404);
    const missing = await h.http.post('/sso/v2/MiSP/RoleShares', { role_id: 1 }, bearer(mispToken));
    expect(missing.status).toBe(400);
    expect(missing.data).toContain('VALD-1002');

    // A share the subscriber denies never grants access; the MiSP can delete its own pending share.
    const second = c.subscriberCompanyIds()[1];
    const pendingShare = json(
      (
        await h.http.post(
          '/sso/v2/MiSP/RoleShares',
          {
            subscriber_company_id: second,
            role_id: json((await h.http.get('/sso/v2/Roles', bearer(mispToken))).data)[0].id,
          },
          bearer(mispToken),
        )
      ).data,
    );
    expect(pendingShare.status).toBe('pending');
    expect((await h.http.delete(`/sso/v2/MiSP/RoleShare/${pendingShare.id}`, bearer(mispToken))).status).toBe(
      204,
    );
    expect((await h.http.delete(`/sso/v2/MiSP/RoleShare/${pendingShare.id}`, bearer(mispToken))).status).toBe(
      404,
    );
  });

  it('a subscriber can ask a MiSP through the vendor route; asking twice is a counted duplicate', async () => {
    h.emu.control.reset();
    const c = h.emu.control;
    const fresh = c.createSubscriberRequest();
    const token = c.mintCompanyToken(fresh.companyId, c.findUser(fresh.adminEmail)?.id).accessToken;
    const again = await h.http.post(
      '/sso/v2/Subscriber/MiSPRequest',
      { misp_company_id: c.demo()?.mispCompanyId },
      bearer(token),
    );
    expect(again.status).toBe(400);
    expect(again.data).toContain('BIZL-1002');
    expect(c.stats().duplicateCreatesByKind).toEqual({ subscriber_request: 1 });
  });
});
