import axios from 'axios';
import type { Test } from 'supertest';

import { CompanyVendorService } from '../../src/company-context/company-vendor.service';
import { DomainEvents, type DomainEvent } from '../../src/common/events/domain-events';
import type { DemoInfo } from '../../src/ipaas-emulator';
import { startVendorHarness, type VendorHarness } from '../utils/vendor-harness';

interface SubscriberBody {
  id: string;
  ipaasCompanyId: string;
  name: string;
  status: string;
  statusReason: string | null;
  vendorRequestId: number | null;
  credentialStatus: string;
  syncedAt: string | null;
  updatedAt: string;
}

interface SyncBody {
  added: number;
  updated: number;
  gone: number;
  unchanged: number;
  total: number;
  ids?: { added: string[]; updated: string[]; gone: string[] };
}

const CHANGE_COMPANY = /\/sso\/v2\/User\/ChangeCompany\//i;

describe('MiSP relationship lifecycle through Tenantry against the emulator', () => {
  let h: VendorHarness;
  let demo: DemoInfo;

  beforeAll(async () => {
    h = await startVendorHarness();
    demo = h.emulator.control.demo() as DemoInfo;
  });

  afterAll(async () => {
    await h.close();
  });

  beforeEach(() => {
    h.emulator.control.clearFaults();
    h.emulator.control.clearJournal();
  });

  const sync = async (): Promise<SyncBody> =>
    (await h.t.http.post('/v1/subscribers/sync').expect(200)).body as SyncBody;

  const allSubscribers = async (query: Record<string, string> = {}): Promise<SubscriberBody[]> =>
    (
      await h.t.http
        .get('/v1/subscribers')
        .query({ pageSize: 500, ...query })
        .expect(200)
    ).body as SubscriberBody[];

  const subscriberOf = async (ipaasCompanyId: string): Promise<SubscriberBody> => {
    const [found] = await allSubscribers({ q: ipaasCompanyId });
    if (found === undefined) {
      throw new Error(`no subscriber for company ${ipaasCompanyId}`);
    }
    return found;
  };

  /** Vendor calls other than reads since the journal was cleared, as "METHOD path". */
  const vendorWrites = (): string[] =>
    h.emulator.control
      .journal()
      .filter((entry) => entry.method !== 'GET')
      .map((entry) => `${entry.method} ${entry.url}`);

  const act = (id: string, operation: string, body?: object): Test =>
    h.t.http.post(`/v1/subscribers/${id}/${operation}`).send(body);

  /** The MiSP's own view of the vendor, for what Tenantry does not expose (role share ids, removal). */
  const asMisp = async <T>(method: 'get' | 'delete', path: string): Promise<T> => {
    const token = h.emulator.control.mintCompanyToken(demo.mispCompanyId).accessToken;
    const response = await axios.request<T>({
      method,
      url: `${h.emulator.url}/sso/v2/${path}`,
      headers: { Authorization: `Bearer ${token}` },
    });
    return response.data;
  };

  /** A new company asks the MiSP; Tenantry learns of it by a sync. */
  const newRequest = async (companyName: string): Promise<{ companyId: string; requestId: number }> => {
    const request = h.emulator.control.createSubscriberRequest({ companyName });
    const result = await sync();
    expect(result).toMatchObject({ added: 1, updated: 0, gone: 0 });
    return { companyId: request.companyId, requestId: request.requestId };
  };

  it('imports the demo seed: 12 active subscribers and 2 pending requests, with their names', async () => {
    const events: DomainEvent[] = [];
    const unsubscribe = h.t.app.get(DomainEvents).subscribe((event) => {
      events.push(event);
    });
    const result = await sync();
    unsubscribe();

    expect(result).toMatchObject({ added: 14, updated: 0, gone: 0, unchanged: 0, total: 14 });
    expect(result.ids?.added).toHaveLength(14);
    const active = await allSubscribers({ status: 'active', sort: 'name' });
    expect(active.map((subscriber) => subscriber.ipaasCompanyId).sort()).toEqual(
      [...h.emulator.control.subscriberCompanyIds()].sort(),
    );
    expect(active.map((subscriber) => subscriber.name)).toEqual(
      Array.from({ length: 12 }, (_, index) => `Sandbox Subscriber ${String(index + 1).padStart(5, '0')}`),
    );
    const requested = await allSubscribers({ status: 'requested', sort: 'name' });
    expect(requested.map((subscriber) => subscriber.name)).toEqual([
      'Pending Subscriber 001',
      'Pending Subscriber 002',
    ]);
    expect(requested.every((subscriber) => Number.isInteger(subscriber.vendorRequestId))).toBe(true);
    expect((await allSubscribers()).every((subscriber) => subscriber.syncedAt !== null)).toBe(true);
    expect(events).toContainEqual({
      type: 'subscribers.synced',
      added: 14,
      updated: 0,
      gone: 0,
      unchanged: 0,
    });
    // Reads only, as the MiSP company: one login, one ChangeCompany to the MiSP company.
    expect(vendorWrites()).toEqual([expect.stringMatching(/^POST \/sso\/v2\/Auth\/Login/)]);
    expect(h.calls(new RegExp(`ChangeCompany/${demo.mispCompanyId}`))).toBe(1);
  });

  it('changes nothing on a second sync: 0 added/updated/gone, no row touched, no vendor write', async () => {
    const before = await allSubscribers();
    // A minute later, so any rewrite would show in updatedAt / syncedAt.
    h.emulator.control.advanceClock(60_000);
    const result = await sync();
    expect(result).toEqual({
      added: 0,
      updated: 0,
      gone: 0,
      unchanged: 14,
      total: 14,
      ids: { added: [], updated: [], gone: [] },
    });
    expect(await allSubscribers()).toEqual(before);
    expect(vendorWrites()).toEqual([]);
    // The MiSP company token is reused from memory.
    expect(h.calls(CHANGE_COMPANY)).toBe(0);
  });

  it('refuses a sync while another one is running (409 SUBSCRIBER_SYNC_RUNNING)', async () => {
    h.emulator.control.setLatency({ fixedMs: 100, jitterMs: 0 });
    try {
      const responses = await Promise.all([
        h.t.http.post('/v1/subscribers/sync'),
        h.t.http.post('/v1/subscribers/sync'),
      ]);
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([200, 409]);
      const refused = responses.find((response) => response.status === 409);
      expect(refused?.body.code).toBe('SUBSCRIBER_SYNC_RUNNING');
    } finally {
      h.emulator.control.setLatency({ fixedMs: 0, jitterMs: 0 });
    }
    // The lock is released: the next one runs.
    await sync();
  });

  it('walks a company from request to offboarded through Tenantry only', async () => {
    const { companyId, requestId } = await newRequest('Lifecycle Outfitters');
    let subscriber = await subscriberOf(companyId);
    expect(subscriber).toMatchObject({
      name: 'Lifecycle Outfitters',
      status: 'requested',
      vendorRequestId: requestId,
    });
    const { id } = subscriber;

    h.emulator.control.clearJournal();
    subscriber = (await act(id, 'approve').expect(200)).body as SubscriberBody;
    expect(subscriber.status).toBe('approved');
    expect(vendorWrites()).toEqual([`PUT /sso/v2/MiSP/SubscriberRequest/${requestId}/Approve`]);
    expect(h.emulator.control.subscriberCompanyIds()).toContain(companyId);

    subscriber = (
      await act(id, 'role-shares', { roleId: demo.mispRoleId, purpose: 'Managed integrations' }).expect(200)
    ).body as SubscriberBody;
    expect(subscriber.status).toBe('role_share_pending');
    const shares = await asMisp<{ id: number; subscriber_company_id: string; role_id: number }[]>(
      'get',
      'MiSP/RoleShares?status=pending',
    );
    const share = shares.find((candidate) => candidate.subscriber_company_id === companyId);
    expect(share?.role_id).toBe(demo.mispRoleId);

    // The subscriber approves the share on its side; a sync notices.
    h.emulator.control.approveRoleShareAsSubscriber(share?.id as number);
    const afterShare = await sync();
    expect(afterShare).toMatchObject({ added: 0, updated: 1, gone: 0 });
    expect(afterShare.ids?.updated).toEqual([id]);
    expect((await subscriberOf(companyId)).status).toBe('active');

    // Active: Tenantry can act as the company.
    const credential = await h.t.http
      .put(`/v1/subscribers/${id}/credential`)
      .send({ kind: 'company_session' })
      .expect(200);
    expect(credential.body.kind).toBe('company_session');
    expect((await subscriberOf(companyId)).credentialStatus).toBe('verified');

    // Suspended: no vendor call at all for the company, and a sync keeps it suspended.
    expect((await act(id, 'suspend').expect(200)).body.status).toBe('suspended');
    h.emulator.control.clearJournal();
    const refused = await h.t.http.post(`/v1/subscribers/${id}/credential/verify`).expect(409);
    expect(refused.body.code).toBe('SUBSCRIBER_INACTIVE');
    await expect(h.t.app.get(CompanyVendorService).call(id, 'listSubscriptions')).rejects.toMatchObject({
      code: 'SUBSCRIBER_INACTIVE',
    });
    expect(h.calls(/./, companyId)).toBe(0);
    expect(await sync()).toMatchObject({ added: 0, updated: 0, gone: 0 });
    expect((await subscriberOf(companyId)).status).toBe('suspended');

    expect((await act(id, 'resume').expect(200)).body.status).toBe('active');
    await h.t.http.post(`/v1/subscribers/${id}/credential/verify`).expect(200);

    h.emulator.control.clearJournal();
    subscriber = (await act(id, 'offboard').expect(200)).body as SubscriberBody;
    expect(subscriber).toMatchObject({
      status: 'offboarded',
      statusReason: 'offboarded by staff',
      credentialStatus: 'none',
    });
    expect(vendorWrites()).toEqual([`DELETE /sso/v2/MiSP/Subscriber/${companyId}`]);
    expect(h.emulator.control.subscriberCompanyIds()).not.toContain(companyId);
    await h.t.http.get(`/v1/subscribers/${id}/credential`).expect(404);

    // Repeating it is harmless and calls nobody.
    const callsBefore = h.emulator.control.journalTotal();
    expect((await act(id, 'offboard').expect(200)).body.status).toBe('offboarded');
    expect(h.emulator.control.journalTotal()).toBe(callsBefore);

    // The vendor agrees the relationship ended: a sync leaves the row (and its reason) alone.
    expect(await sync()).toMatchObject({ added: 0, updated: 0, gone: 0 });
    expect(await subscriberOf(companyId)).toMatchObject({
      status: 'offboarded',
      statusReason: 'offboarded by staff',
    });

    await h.t.http.delete(`/v1/subscribers/${id}`).expect(204);
    await h.t.http.get(`/v1/subscribers/${id}`).expect(404);
  });

  it('denies a request: offboarded with reason "request denied", and a sync agrees', async () => {
    const { companyId, requestId } = await newRequest('Declined Goods');
    const { id } = await subscriberOf(companyId);
    h.emulator.control.clearJournal();
    const denied = await act(id, 'deny').expect(200);
    expect(denied.body).toMatchObject({ status: 'offboarded', statusReason: 'request denied' });
    expect(vendorWrites()).toEqual([`PUT /sso/v2/MiSP/SubscriberRequest/${requestId}/Deny`]);
    expect(await sync()).toMatchObject({ added: 0, updated: 0, gone: 0 });
    expect((await subscriberOf(companyId)).status).toBe('offboarded');
  });

  it('marks a company removed at the vendor as gone on the next sync', async () => {
    const removedCompanyId = h.emulator.control.subscriberCompanyIds()[0];
    const { id } = await subscriberOf(removedCompanyId);
    await asMisp('delete', `MiSP/Subscriber/${removedCompanyId}`);

    const result = await sync();
    expect(result).toMatchObject({ added: 0, updated: 0, gone: 1 });
    expect(result.ids?.gone).toEqual([id]);
    expect(await subscriberOf(removedCompanyId)).toMatchObject({
      status: 'offboarded',
      statusReason: 'gone at iPaaS.com',
    });
    expect(await sync()).toMatchObject({ gone: 0, updated: 0 });
  });

  it('refuses operations the relationship status does not allow (409 SUBSCRIBER_STATE_CONFLICT)', async () => {
    const active = (await allSubscribers({ status: 'active' }))[0];
    const requested = (await allSubscribers({ status: 'requested' }))[0];
    const callsBefore = h.emulator.control.journalTotal();

    const approve = await act(active.id, 'approve').expect(409);
    expect(approve.body).toMatchObject({
      code: 'SUBSCRIBER_STATE_CONFLICT',
      status: 409,
      subscriberStatus: 'active',
      allowedStatuses: ['requested'],
    });
    expect(approve.body.detail).toMatch(/while it is active; allowed from: requested/);
    expect((await act(active.id, 'resume').expect(409)).body.code).toBe('SUBSCRIBER_STATE_CONFLICT');
    expect((await act(requested.id, 'suspend').expect(409)).body.code).toBe('SUBSCRIBER_STATE_CONFLICT');
    expect((await act(requested.id, 'offboard').expect(409)).body.code).toBe('SUBSCRIBER_STATE_CONFLICT');
    const share = await act(requested.id, 'role-shares', { roleId: demo.mispRoleId }).expect(409);
    expect(share.body.code).toBe('SUBSCRIBER_STATE_CONFLICT');
    expect(h.emulator.control.journalTotal()).toBe(callsBefore);
    await act('00000000-0000-4000-8000-000000000000', 'approve').expect(404);
  });

  it('asks for roleId when no default role is configured, and refuses unknown fields', async () => {
    const active = (await allSubscribers({ status: 'active' }))[0];
    const missing = await act(active.id, 'role-shares', {}).expect(400);
    expect(missing.body.errors).toEqual([{ field: 'roleId', message: expect.stringMatching(/roleId/) }]);
    await act(active.id, 'role-shares', { roleId: demo.mispRoleId, status: 'active' }).expect(400);
    await act(active.id, 'role-shares', { roleId: 0 }).expect(400);
  });

  it('answers a vendor 5xx during approve with a 503 problem and leaves the subscriber as it was', async () => {
    const { companyId } = await newRequest('Flaky Approvals');
    const { id } = await subscriberOf(companyId);
    h.emulator.control.addFault({
      path: '/sso/v2/MiSP/SubscriberRequest/*/Approve',
      action: { type: 'respond', status: 503, body: 'Service Unavailable' },
    });
    const failed = await act(id, 'approve').expect(503);
    expect(failed.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(failed.body.code).toBe('VENDOR_UNAVAILABLE');
    expect((await subscriberOf(companyId)).status).toBe('requested');

    h.emulator.control.clearFaults();
    expect((await act(id, 'approve').expect(200)).body.status).toBe('approved');
  });

  it('renews the MiSP company token once when the vendor refuses it', async () => {
    h.emulator.control.addFault({
      path: '/sso/v2/MiSP/Subscribers',
      count: 1,
      action: { type: 'respond', status: 401, body: 'AUTH-1002 Access token is invalid' },
    });
    await sync();
    expect(h.calls(new RegExp(`ChangeCompany/${demo.mispCompanyId}`))).toBe(1);
  });
});

describe('the MiSP company from IPAAS_MISP_COMPANY_ID', () => {
  const configured = '0b7c6f2e-1d3a-4e5f-9a8b-7c6d5e4f3a2b';
  let h: VendorHarness;

  beforeAll(async () => {
    h = await startVendorHarness({ env: { IPAAS_MISP_COMPANY_ID: configured } });
  });

  afterAll(async () => {
    await h.close();
  });

  it('switches to the configured company instead of looking for the MiSP one', async () => {
    const response = await h.t.http.post('/v1/subscribers/sync');
    // Not a company the MiSP user can reach in the emulator: the vendor refuses, and nothing is imported.
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(h.calls(new RegExp(`ChangeCompany/${configured}`))).toBeGreaterThanOrEqual(1);
    expect(h.calls(new RegExp(`ChangeCompany/${h.emulator.control.demo()?.mispCompanyId}`))).toBe(0);
    expect((await h.t.http.get('/v1/subscribers').expect(200)).body).toEqual([]);
  });
});
