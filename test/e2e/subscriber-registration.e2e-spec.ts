import { randomUUID } from 'node:crypto';

import request from 'supertest';
import { DataSource } from 'typeorm';

import { signWebhook } from '../../src/common/standard-webhooks';
import { LISTING_REUSE_MS } from '../../src/relationships/misp-listing';
import { SubscribersService } from '../../src/subscribers/subscribers.service';
import { eventually } from '../utils/provisioning-fakes';
import { startVendorHarness, type VendorHarness } from '../utils/vendor-harness';

type Json = Record<string, unknown>;

const TERMINAL = ['succeeded', 'completed_with_errors', 'cancelled', 'failed'];

/**
 * Issue 14, points 2 and 3: a registry that cannot be polluted (every registration is checked at iPaaS.com,
 * every row can be retired and deleted), and vendor answers about a request are 4xx, not 502.
 */
describe('subscriber registration checked at iPaaS.com', () => {
  let h: VendorHarness;
  let dataSource: DataSource;
  let templateId: string;
  /** The companies the emulator serves (taken once: ending a relationship shortens the vendor's list). */
  let served: string[];

  beforeAll(async () => {
    h = await startVendorHarness({
      env: { PROVISIONING_POLL_MS: '20' },
      emulator: { seed: { subscribers: 20, pendingRequests: 0 } },
    });
    dataSource = h.t.app.get(DataSource);
    served = h.emulator.control.subscriberCompanyIds();
    templateId = (
      (
        await h.t.http
          .post('/v1/provisioning/templates')
          .send({
            name: 'registration',
            spec: { customers: [{ email: 'c@example.test', firstName: 'C', lastName: 'D' }] },
          })
          .expect(201)
      ).body as { id: string }
    ).id;
  });

  afterAll(async () => {
    await h.close();
  });

  beforeEach(async () => {
    h.emulator.control.clearFaults();
    // A new test never reuses the listing (or a failed reading) of the one before.
    h.emulator.control.advanceClock(LISTING_REUSE_MS + 1);
    await Promise.resolve();
  });

  /** A company the emulator serves that Tenantry does not know yet. */
  const servedCompany = (): string => served.shift() as string;
  const subscriberCount = async (ipaasCompanyId: string): Promise<number> =>
    Number(
      (
        await dataSource.query<{ n: number }[]>(
          'SELECT COUNT(*) AS n FROM subscribers WHERE ipaas_company_id = $1',
          [ipaasCompanyId],
        )
      )[0].n,
    );
  const register = (ipaasCompanyId: string): request.Test =>
    h.t.http.post('/v1/subscribers').send({ ipaasCompanyId, name: `Company ${ipaasCompanyId.slice(0, 8)}` });
  const registerServed = async (): Promise<{ id: string; ipaasCompanyId: string }> =>
    (await register(servedCompany()).expect(201)).body as { id: string; ipaasCompanyId: string };
  /** The MiSP routes answer 503 (after the client's retries): the listing cannot be read. */
  const vendorDown = (): void => {
    h.emulator.control.addFault({
      path: '/sso/v2/MiSP/**',
      action: { type: 'respond', status: 503, body: 'INTL-1001 maintenance' },
    });
  };
  const expectProblem = (response: request.Response, status: number, code: string): void => {
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status, code });
    expect(response.status).toBe(status);
  };

  describe('POST /v1/subscribers', () => {
    it('refuses a company iPaaS.com does not list for the MiSP (422), storing nothing', async () => {
      for (const unknown of ['acme-co', randomUUID()]) {
        const response = await register(unknown);
        expectProblem(response, 422, 'SUBSCRIBER_UNKNOWN_AT_VENDOR');
        expect(response.body).toMatchObject({ ipaasCompanyId: unknown });
        expect(response.body.detail).toContain(unknown);
        expect(await subscriberCount(unknown)).toBe(0);
      }
      const catalogue = await h.t.http.get('/v1/problems/SUBSCRIBER_UNKNOWN_AT_VENDOR').expect(200);
      expect(catalogue.body).toMatchObject({ status: 422 });
    });

    it("registers a listed company in the vendor's status: active when served, requested when only asking", async () => {
      const company = servedCompany();
      expect((await register(company).expect(201)).body).toMatchObject({
        ipaasCompanyId: company,
        status: 'active',
        vendorRequestId: expect.any(Number) as number,
      });
      const pending = h.emulator.control.createSubscriberRequest({ companyName: 'Asking Co' });
      expect((await register(pending.companyId).expect(201)).body).toMatchObject({
        status: 'requested',
        vendorRequestId: pending.requestId,
      });
    });
  });

  describe('job rows and webhook onboards', () => {
    it('refuses job rows with companies iPaaS.com does not list (400 listing them), storing nothing', async () => {
      const known = servedCompany();
      const unknown = randomUUID();
      const jobsBefore = (await h.t.http.get('/v1/provisioning/jobs').expect(200)).headers['x-pagination'];
      const response = await h.t.http.post('/v1/provisioning/jobs').send({
        templateId,
        mode: 'apply',
        subscribers: [
          { ipaasCompanyId: known, name: 'Known' },
          { ipaasCompanyId: 'acme-co', name: 'Acme' },
          { ipaasCompanyId: unknown, name: 'Unknown' },
        ],
      });
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors).toEqual([
        { field: 'subscribers.1.ipaasCompanyId', message: expect.stringContaining('acme-co') as string },
        { field: 'subscribers.2.ipaasCompanyId', message: expect.stringContaining(unknown) as string },
      ]);
      expect(response.body.unknownAtVendor).toEqual(['acme-co', unknown]);
      for (const companyId of [known, 'acme-co', unknown]) {
        expect(await subscriberCount(companyId)).toBe(0);
      }
      expect((await h.t.http.get('/v1/provisioning/jobs').expect(200)).headers['x-pagination']).toBe(
        jobsBefore,
      );
      // Known rows alone register in the vendor's status and run.
      const job = await h.t.http
        .post('/v1/provisioning/jobs')
        .send({ templateId, mode: 'apply', subscribers: [{ ipaasCompanyId: known, name: 'Known' }] })
        .expect(201);
      expect(job.body).toMatchObject({ counts: { total: 1 } });
      expect(await subscriberCount(known)).toBe(1);
    });

    it('refuses a webhook onboard of a company iPaaS.com does not list (422), storing no event and no row', async () => {
      const source = (
        await h.t.http
          .post('/v1/webhook-sources')
          .send({
            name: 'billing',
            rules: [
              {
                eventType: 'customer.signed_up',
                action: 'onboard',
                templateId,
                subscriber: { ipaasCompanyId: 'data.companyId', name: 'data.companyName' },
              },
            ],
          })
          .expect(201)
      ).body as { id: string; secret: string };
      const deliver = (companyId: string, webhookId = `evt_${randomUUID()}`): request.Test => {
        const body = JSON.stringify({
          type: 'customer.signed_up',
          data: { companyId, companyName: 'Acme', region: 'eu' },
        });
        const timestamp = Math.floor(h.clock.nowMs() / 1000);
        return request(h.t.server)
          .post(`/v1/webhooks/${source.id}`)
          .set({
            'content-type': 'application/json',
            'webhook-id': webhookId,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signWebhook(source.secret, webhookId, timestamp, body),
          })
          .send(body);
      };
      // The README's own example.
      const refused = await deliver('acme-co', 'evt_acme');
      expectProblem(refused, 422, 'SUBSCRIBER_UNKNOWN_AT_VENDOR');
      expect(await subscriberCount('acme-co')).toBe(0);
      expect((await h.t.http.get(`/v1/webhooks/events?sourceId=${source.id}`).expect(200)).body).toEqual([]);
      // Nothing was stored, so the sender's retry of the same delivery is judged afresh.
      expectProblem(await deliver('acme-co', 'evt_acme'), 422, 'SUBSCRIBER_UNKNOWN_AT_VENDOR');

      const company = servedCompany();
      const accepted = await deliver(company).expect(202);
      expect(accepted.body).toMatchObject({ status: 'job_created', jobId: expect.any(String) as string });
      const [row] = (await h.t.http.get(`/v1/subscribers?q=${company}`).expect(200)).body as Json[];
      expect(row).toMatchObject({ ipaasCompanyId: company, status: 'active' });
    });
  });

  describe('retiring companies iPaaS.com no longer knows', () => {
    it('offboards a company whose relationship ended at the vendor (not found means gone), then deletes it', async () => {
      const company = await registerServed();
      h.emulator.control.endRelationship(company.ipaasCompanyId);
      // The vendor's 404 is an answer about the request, not an outage: 404 VENDOR_NOT_FOUND with its code.
      const share = await h.t.http.post(`/v1/subscribers/${company.id}/role-shares`).send({ roleId: 1 });
      expectProblem(share, 404, 'VENDOR_NOT_FOUND');
      expect(share.body.vendor).toMatchObject({
        kind: 'not_found',
        status: 404,
        code: expect.stringMatching(/^NFND-/) as string,
        operation: 'createRoleShare',
      });
      expect(share.body.detail).toMatch(/^iPaaS\.com: NFND-/);

      const offboarded = await h.t.http.post(`/v1/subscribers/${company.id}/offboard`).expect(200);
      expect(offboarded.body).toMatchObject({ status: 'offboarded', statusReason: 'offboarded by staff' });
      await h.t.http.delete(`/v1/subscribers/${company.id}`).expect(204);
      await h.t.http.get(`/v1/subscribers/${company.id}`).expect(404);
    });

    it('retires a row registered before registrations were checked: vendor 400 → 422, offboard and delete work', async () => {
      // Such a row could only come from the unchecked registration of earlier versions.
      const legacy = await h.t.app
        .get(SubscribersService)
        .create({ ipaasCompanyId: 'acme-co', name: 'Acme' });
      const share = await h.t.http.post(`/v1/subscribers/${legacy.id}/role-shares`).send({ roleId: 1 });
      expectProblem(share, 422, 'VENDOR_REJECTED');
      expect(share.body.vendor).toMatchObject({ kind: 'validation', status: 400, code: 'VALD-1008' });
      expect(share.body.detail).toContain('VALD-1008');

      await h.t.http.post(`/v1/subscribers/${legacy.id}/offboard`).expect(200);
      await h.t.http.delete(`/v1/subscribers/${legacy.id}`).expect(204);
    });
  });

  // These two sync, which registers every company the vendor lists: they come last.
  describe('syncs', () => {
    it('stores the company unverified when iPaaS.com cannot be asked: not workable until a sync verifies it', async () => {
      const company = servedCompany();
      const stranger = randomUUID();
      vendorDown();
      const unverified = (await register(company).expect(201)).body as Json & { id: string };
      expect(unverified).toMatchObject({ status: 'unverified' });
      expect(unverified.statusReason).toMatch(
        /^not verified at iPaaS\.com \(VENDOR_UNAVAILABLE: iPaaS\.com: INTL-1001 maintenance\); the next sync verifies it$/,
      );
      // An id iPaaS.com would refuse is stored too while it cannot be asked (the sync removes it).
      const strangerRow = (await register(stranger).expect(201)).body as { id: string };

      // Not workable: no vendor calls, no health check, provisioning items are skipped with the reason.
      const check = await h.t.http.post(`/v1/subscribers/${unverified.id}/health-checks`);
      expectProblem(check, 409, 'SUBSCRIBER_INACTIVE');
      expect(check.body.detail).toMatch(/unverified/);
      const job = (
        await h.t.http
          .post('/v1/provisioning/jobs')
          .send({ templateId, mode: 'apply', subscribers: [{ subscriberId: unverified.id }] })
          .expect(201)
      ).body as { id: string };
      const finished = await eventually(async () => {
        const body = (await h.t.http.get(`/v1/provisioning/jobs/${job.id}`).expect(200)).body as Json;
        return TERMINAL.includes(body.state as string) ? body : undefined;
      }, 20000);
      expect(finished).toMatchObject({ state: 'completed_with_errors', counts: { skipped: 1 } });
      const [item] = (await h.t.http.get(`/v1/provisioning/jobs/${job.id}/items`).expect(200)).body as Json[];
      expect(item).toMatchObject({ state: 'skipped', skipReason: 'SUBSCRIBER_INACTIVE' });

      // The vendor is back: the next sync gives the served company its status and marks the stranger gone.
      h.emulator.control.clearFaults();
      h.emulator.control.advanceClock(LISTING_REUSE_MS + 1);
      await h.t.http.post('/v1/subscribers/sync').expect(200);
      expect((await h.t.http.get(`/v1/subscribers/${unverified.id}`).expect(200)).body).toMatchObject({
        status: 'active',
        statusReason: null,
      });
      expect((await h.t.http.get(`/v1/subscribers/${strangerRow.id}`).expect(200)).body).toMatchObject({
        status: 'offboarded',
        statusReason: 'gone at iPaaS.com',
      });
      await h.t.http.delete(`/v1/subscribers/${strangerRow.id}`).expect(204);
    });

    it('marks gone every row iPaaS.com does not list at a sync, hand-registered ones included', async () => {
      const subscribers = h.t.app.get(SubscribersService);
      const legacy = await subscribers.create({ ipaasCompanyId: `legacy-${randomUUID()}`, name: 'Legacy' });
      // A company the earlier sync registered, whose relationship then ends at the vendor.
      const [company] = (await h.t.http.get('/v1/subscribers?status=active&pageSize=1').expect(200)).body as {
        id: string;
        ipaasCompanyId: string;
      }[];
      h.emulator.control.endRelationship(company.ipaasCompanyId);
      const sync = (await h.t.http.post('/v1/subscribers/sync').expect(200)).body as {
        ids: { gone: string[] };
      };
      expect(sync.ids.gone).toEqual(expect.arrayContaining([legacy.id, company.id]));
      for (const id of [legacy.id, company.id]) {
        expect((await h.t.http.get(`/v1/subscribers/${id}`).expect(200)).body).toMatchObject({
          status: 'offboarded',
          statusReason: 'gone at iPaaS.com',
        });
        await h.t.http.delete(`/v1/subscribers/${id}`).expect(204);
      }
    });
  });
});
