import { bearer, companyToken, harness, type Harness, json, pagination } from './helpers';

describe('emulator: resources (subscriptions, events, customers, users, roles, hooks)', () => {
  let h: Harness;
  let token: string;
  let companyId: string;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.close());
  beforeEach(async () => {
    h.emu.control.reset();
    ({ token, companyId } = await companyToken(h, 4));
  });

  it('subscriptions: list fields, get with persistent data, /integrations alias, 404 and 400 on ids', async () => {
    const list = json((await h.http.get('/subscriptions/v2/Subscriptions', bearer(token))).data);
    expect(list).toHaveLength(3);
    expect(Object.keys(list[0]).sort()).toEqual(
      ['attached_items_count', 'description', 'id', 'image_url', 'name', 'type', 'value'].sort(),
    );
    const plain = json(
      (await h.http.get(`/subscriptions/v2/Subscription/${list[0].id}`, bearer(token))).data,
    );
    expect(plain).not.toHaveProperty('persistent_data');
    expect(plain).toMatchObject({
      id: list[0].id,
      webhook_api_key: expect.any(String),
      settings: expect.any(Object),
    });
    const full = json(
      (await h.http.get(`/integrations/v2/Subscription/${list[0].id}?include=persistentdata`, bearer(token)))
        .data,
    );
    expect((full.persistent_data as { name: string }[]).map((p) => p.name)).toEqual(['LastSync', 'Cursor']);
    const missing = await h.http.get('/subscriptions/v2/Subscription/999999', bearer(token));
    expect(missing.status).toBe(404);
    expect(missing.data).toContain('NFND-1005');
    expect((await h.http.get('/subscriptions/v2/Subscription/abc', bearer(token))).status).toBe(400);
    // Another company's subscription is not visible.
    const other = await companyToken(h, 5);
    expect(
      (await h.http.get(`/subscriptions/v2/Subscription/${list[0].id}`, bearer(other.token))).status,
    ).toBe(404);
  });

  it('persistent data is an upsert (never counted as a duplicate create) and returns the list sent', async () => {
    const id = json((await h.http.get('/subscriptions/v2/Subscriptions', bearer(token))).data)[0].id;
    const body = [
      { name: 'Cursor', value: '42', expiration_date_time: null },
      { name: 'New', value: 'x', expiration_date_time: '2030-01-01T00:00:00+00:00' },
    ];
    for (let i = 0; i < 2; i++) {
      const r = await h.http.post(`/subscriptions/v2/Subscription/PersistentData/${id}`, body, bearer(token));
      expect(r.status).toBe(200);
      expect(json(r.data)).toEqual(body);
    }
    const full = json(
      (await h.http.get(`/subscriptions/v2/Subscription/${id}?include=persistentdata`, bearer(token))).data,
    );
    expect(full.persistent_data).toHaveLength(3);
    expect(
      (full.persistent_data as { name: string; value: string }[]).find((p) => p.name === 'Cursor')?.value,
    ).toBe('42');
    expect(h.emu.control.stats().duplicateCreates).toBe(0);
    const bad = await h.http.post(
      `/subscriptions/v2/Subscription/PersistentData/${id}`,
      { name: 'x' },
      bearer(token),
    );
    expect(bad.status).toBe(400);
    const noName = await h.http.post(
      `/subscriptions/v2/Subscription/PersistentData/${id}`,
      [{ value: 1 }],
      bearer(token),
    );
    expect(noName.status).toBe(400);
    expect(noName.data).toContain('VALD-1002');
  });

  it('customers CRUD: POST/PUT return the full entry, filter by EmailAddress, duplicates refused and counted', async () => {
    const created = await h.http.post(
      '/customers/v2/Customer',
      {
        first_name: 'Jane',
        last_name: 'Doe',
        email_address: 'Jane@Example.com',
        external_ids: [{ system_id: 7, external_id: 'shop-1' }],
        custom_fields: [{ custom_field_name: 'tier', value: 'gold' }],
      },
      bearer(token),
    );
    expect(created.status).toBe(201);
    const c = json(created.data);
    expect(c).toMatchObject({
      first_name: 'Jane',
      email_address: 'jane@example.com',
      external_ids: [{ system_id: 7, external_id: 'shop-1', internal_id: c.id }],
      custom_fields: [{ custom_field_name: 'tier', value: 'gold' }],
      tracking_guid: expect.any(String),
    });

    const found = await h.http.get(
      '/customers/v2/Customers?action=equals&EmailAddress=jane%40example.com',
      bearer(token),
    );
    expect(json(found.data).map((x: { id: number }) => x.id)).toEqual([c.id]);
    expect(pagination(found)).toMatchObject({ total_Count: 1, total_Pages: 1 });
    const none = await h.http.get(
      '/customers/v2/Customers?action=equals&EmailAddress=nobody%40x.test',
      bearer(token),
    );
    expect(json(none.data)).toEqual([]);

    const dupEmail = await h.http.post(
      '/customers/v2/Customer',
      { first_name: 'J', last_name: 'D', email_address: 'jane@example.com' },
      bearer(token),
    );
    expect(dupEmail.status).toBe(400);
    expect(dupEmail.data).toContain('BIZL-1006');
    const dupExt = await h.http.post(
      '/customers/v2/Customer',
      {
        first_name: 'J',
        last_name: 'D',
        email_address: 'other@example.com',
        external_ids: [{ system_id: 7, external_id: 'shop-1' }],
      },
      bearer(token),
    );
    expect(dupExt.status).toBe(400);
    expect(dupExt.data).toContain('BIZL-1003');
    expect(h.emu.control.stats()).toMatchObject({
      duplicateCreates: 2,
      duplicateCreatesByKind: { customer_email: 1, customer_external_id: 1 },
    });

    const updated = await h.http.put(`/customers/v2/Customer/${c.id}`, { last_name: 'Smith' }, bearer(token));
    expect(updated.status).toBe(200);
    expect(json(updated.data)).toMatchObject({
      id: c.id,
      first_name: 'Jane',
      last_name: 'Smith',
      email_address: 'jane@example.com',
    });
    expect(
      (await h.http.put('/customers/v2/Customer/999999', { last_name: 'x' }, bearer(token))).status,
    ).toBe(404);

    const noEmail = await h.http.post(
      '/customers/v2/Customer',
      { first_name: 'a', last_name: 'b' },
      bearer(token),
    );
    expect(noEmail.status).toBe(400);
    expect(noEmail.data).toContain('VALD-1021');

    expect((await h.http.delete(`/customers/v2/Customer/${c.id}`, bearer(token))).status).toBe(204);
    expect((await h.http.get(`/customers/v2/Customer/${c.id}`, bearer(token))).status).toBe(404);
    // After a delete, the same email can be created again: not a duplicate.
    const again = await h.http.post(
      '/customers/v2/Customer',
      { first_name: 'Jane', last_name: 'Doe', email_address: 'jane@example.com' },
      bearer(token),
    );
    expect(again.status).toBe(201);
    expect(h.emu.control.stats().duplicateCreates).toBe(2);
  });

  it('events are paged and record customer writes', async () => {
    const before = json(
      (await h.http.get('/subscriptions/v2/Events?pageNumber=1&pageSize=100', bearer(token))).data,
    );
    expect(before).toHaveLength(5);
    await h.http.post(
      '/customers/v2/Customer',
      { first_name: 'a', last_name: 'b', email_address: 'e@x.test' },
      bearer(token),
    );
    const r = await h.http.get('/subscriptions/v2/Events?pageNumber=2&pageSize=5', bearer(token));
    expect(pagination(r)).toEqual({
      total_Count: 6,
      page_Size: 5,
      current_Page: 2,
      total_Pages: 2,
      previous_Page: 'Yes',
      next_Page: 'No',
    });
    expect(json(r.data)[0]).toMatchObject({ event_type: 'customer/created' });
  });

  it('company users and roles CRUD (provisional) with duplicate counting', async () => {
    const role = await h.http.post(
      '/sso/v2/Roles',
      { name: 'Support', permissions: ['Customer'] },
      bearer(token),
    );
    expect(role.status).toBe(201);
    const r = json(role.data);
    expect(r).toMatchObject({ name: 'Support', permissions: ['Customer'], company_id: companyId });
    const dupRole = await h.http.post('/sso/v2/Roles', { name: 'support', permissions: [] }, bearer(token));
    expect(dupRole.status).toBe(400);
    expect(dupRole.data).toContain('BIZL-1006');
    expect((await h.http.post('/sso/v2/Roles', { name: 'NoPerms' }, bearer(token))).data).toContain(
      'VALD-1112',
    );

    const user = await h.http.post(
      '/sso/v2/Users',
      { email_address: 'new.person@example.com', first_name: 'New', last_name: 'Person', role_ids: [r.id] },
      bearer(token),
    );
    expect(user.status).toBe(201);
    const u = json(user.data);
    expect(u).toMatchObject({
      email_address: 'new.person@example.com',
      role_ids: [r.id],
      company_id: companyId,
    });
    const dupUser = await h.http.post(
      '/sso/v2/Users',
      { email_address: 'NEW.person@example.com', first_name: 'N', last_name: 'P' },
      bearer(token),
    );
    expect(dupUser.status).toBe(400);
    expect(dupUser.data).toContain('BIZL-1001');
    // The same person in another company is not a duplicate.
    const other = await companyToken(h, 6);
    expect(
      (
        await h.http.post(
          '/sso/v2/Users',
          { email_address: 'new.person@example.com', first_name: 'N', last_name: 'P' },
          bearer(other.token),
        )
      ).status,
    ).toBe(201);

    const users = json<{ id: number }[]>((await h.http.get('/sso/v2/Users', bearer(token))).data);
    expect(users.map((x) => x.id)).toContain(u.id);
    const put = await h.http.put(
      `/sso/v2/User/${u.id}`,
      { last_name: 'Renamed', role_ids: [] },
      bearer(token),
    );
    expect(json(put.data)).toMatchObject({ last_name: 'Renamed', role_ids: [] });
    expect((await h.http.post(`/sso/v2/Role/${r.id}/User/${u.id}`, undefined, bearer(token))).status).toBe(
      201,
    );
    const dupAssign = await h.http.post(`/sso/v2/Role/${r.id}/User/${u.id}`, undefined, bearer(token));
    expect(dupAssign.status).toBe(400);
    expect((await h.http.delete(`/sso/v2/Role/${r.id}/User/${u.id}`, bearer(token))).status).toBe(204);
    const rename = await h.http.put(`/sso/v2/Role/${r.id}`, { name: 'Support L2' }, bearer(token));
    expect(json(rename.data).name).toBe('Support L2');
    expect((await h.http.delete(`/sso/v2/Role/${r.id}`, bearer(token))).status).toBe(204);
    expect((await h.http.get(`/sso/v2/Role/${r.id}`, bearer(token))).status).toBe(404);
    expect((await h.http.delete(`/sso/v2/User/${u.id}`, bearer(token))).status).toBe(204);
    expect((await h.http.get(`/sso/v2/User/${u.id}`, bearer(token))).status).toBe(404);

    expect(h.emu.control.stats().duplicateCreatesByKind).toEqual({
      role: 1,
      company_user: 1,
      role_assignment: 1,
    });
  });

  it('a role used by a role share cannot change permissions or be deleted', async () => {
    const demo = h.emu.control.demo();
    const mispToken = h.emu.control.mintCompanyToken(demo?.mispCompanyId as string).accessToken;
    const edit = await h.http.put(
      `/sso/v2/Role/${demo?.mispRoleId}`,
      { permissions: ['Log'] },
      bearer(mispToken),
    );
    expect(edit.status).toBe(400);
    expect(edit.data).toContain('BIZL-1010');
    expect((await h.http.delete(`/sso/v2/Role/${demo?.mispRoleId}`, bearer(mispToken))).status).toBe(400);
  });

  it('hooks: webhook key, 202 with empty body, journaled with x-correlation-id; bad key 401, bad body 400', async () => {
    const sub = json((await h.http.get('/subscriptions/v2/Subscriptions', bearer(token))).data)[1];
    const key = json(
      (await h.http.get(`/subscriptions/v2/Subscription/${sub.id}`, bearer(token))).data,
    ).webhook_api_key;
    const body = { notifications: [{ scope: 'customer/created', external_id: '123' }] };
    const ok = await h.http.post('/hookapi/v2/iPaaS', body, {
      headers: { Authorization: `Bearer ${key}`, 'x-correlation-id': 'corr-1' },
    });
    expect(ok.status).toBe(202);
    expect(ok.data).toBe('');
    const dev = await h.http.post('/hookapi/v2/IntegrationDevelopmentUtility', body, {
      headers: { Authorization: key },
    });
    expect(dev.status).toBe(202);
    expect(h.emu.control.hooks()).toEqual([
      expect.objectContaining({
        endpoint: 'iPaaS',
        correlationId: 'corr-1',
        subscriptionId: sub.id,
        companyId,
        body,
      }),
      expect.objectContaining({ endpoint: 'IntegrationDevelopmentUtility', correlationId: null }),
    ]);
    expect(h.emu.control.journal(2)[0]).toMatchObject({
      route: '/hookapi/v2/iPaaS',
      status: 202,
      correlationId: 'corr-1',
    });
    const badKey = await h.http.post('/hookapi/v2/iPaaS', body, bearer('nope'));
    expect(badKey.status).toBe(401);
    const badBody = await h.http.post('/hookapi/v2/iPaaS', { notifications: [] }, bearer(key));
    expect(badBody.status).toBe(400);
    expect(badBody.data).toContain('VALD-1042');
  });
});
