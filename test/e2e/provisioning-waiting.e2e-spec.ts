import { randomUUID } from 'node:crypto';

import request from 'supertest';

import { webhookHeaders } from '../../src/common/standard-webhooks';
import type { DemoInfo } from '../../src/ipaas-emulator';
import { createTemplate, waitForEnd } from '../utils/provisioning-api';
import { eventually } from '../utils/provisioning-fakes';
import { startVendorHarness, type VendorHarness } from '../utils/vendor-harness';

type Json = Record<string, unknown>;

const HOUR_MS = 3_600_000;

/**
 * Issue 14: webhook onboarding waits for the relationship instead of failing. A company that asked the MiSP to
 * serve it is approved and sent a role share by the job's relationship steps; its company steps then wait
 * (`waiting`, relationship_pending) until the subscriber grants the share, and run on their own once it does,
 * or fail with RELATIONSHIP_NOT_ACTIVE when PROVISIONING_WAIT_MAX_HOURS pass first. The registry says what the
 * vendor says meanwhile; the webhook event follows the job.
 */
describe('onboarding waits for the relationship (virtual clock)', () => {
  let h: VendorHarness;
  let demo: DemoInfo;
  let source: { id: string; secret: string };

  beforeAll(async () => {
    h = await startVendorHarness({
      env: { PROVISIONING_POLL_MS: '20', WEBHOOK_WORKER_POLL_MS: '20' },
      emulator: { seed: { subscribers: 2, pendingRequests: 0 } },
    });
    demo = h.emulator.control.demo() as DemoInfo;
    const templateId = await createTemplate(h.t.http, {
      variables: [{ name: 'region', default: 'eu-west' }],
      relationship: {
        approveRequest: true,
        roleShares: [{ roleId: demo.mispRoleId, purpose: 'Onboarding' }],
      },
      customers: [
        {
          email: 'first@{{subscriber.ipaasCompanyId}}.test',
          firstName: 'First',
          lastName: '{{vars.region}}',
        },
      ],
    });
    const created = await h.t.http
      .post('/v1/webhook-sources')
      .send({
        name: `billing-${randomUUID().slice(0, 6)}`,
        rateLimitPerSecond: 1000,
        rules: [
          {
            eventType: 'customer.signed_up',
            action: 'onboard',
            templateId,
            subscriber: { ipaasCompanyId: 'data.companyId', name: 'data.name' },
            // The payloads below carry no region: the template's default applies.
            vars: { region: 'data.region' },
          },
        ],
      })
      .expect(201);
    source = created.body as { id: string; secret: string };
  });

  afterAll(async () => {
    await h.close();
  });

  /** A company that asked the MiSP to serve it, known to the registry from a sync (status `requested`). */
  const newRequester = async (): Promise<{ companyId: string; subscriberId: string }> => {
    const { companyId } = h.emulator.control.createSubscriberRequest({ companyName: 'Newcomer' });
    await h.t.http.post('/v1/subscribers/sync').expect(200);
    const [row] = (await h.t.http.get(`/v1/subscribers?q=${companyId}`).expect(200)).body as Json[];
    expect(row).toMatchObject({ ipaasCompanyId: companyId, status: 'requested' });
    return { companyId, subscriberId: row.id as string };
  };

  const deliver = async (companyId: string): Promise<{ eventId: string; status: string; jobId: string }> => {
    const body = JSON.stringify({ type: 'customer.signed_up', data: { companyId, name: 'Newcomer' } });
    const headers = webhookHeaders(
      source.secret,
      `msg_${randomUUID()}`,
      Math.floor(h.clock.nowMs() / 1000),
      body,
    );
    const response = await request(h.t.server)
      .post(`/v1/webhooks/${source.id}`)
      .set({ ...headers, 'content-type': 'application/json' })
      .send(body)
      .expect(202);
    return response.body as { eventId: string; status: string; jobId: string };
  };

  const itemOf = async (jobId: string): Promise<Json> =>
    ((await h.t.http.get(`/v1/provisioning/jobs/${jobId}/items`).expect(200)).body as Json[])[0];
  const subscriberStatus = async (id: string): Promise<string> =>
    ((await h.t.http.get(`/v1/subscribers/${id}`).expect(200)).body as Json).status as string;
  const eventStatus = async (id: string): Promise<string> =>
    ((await h.t.http.get(`/v1/webhooks/events/${id}`).expect(200)).body as Json).status as string;

  /** The role share the job requested for `companyId`, as the MiSP sees it at the vendor. */
  const pendingShareOf = async (companyId: string): Promise<number> => {
    const token = h.emulator.control.mintCompanyToken(demo.mispCompanyId).accessToken;
    const response = await fetch(`${h.emulator.url}/sso/v2/MiSP/RoleShares?status=pending&pageSize=1000`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const shares = (await response.json()) as { id: number; subscriber_company_id: string }[];
    const share = shares.find((candidate) => candidate.subscriber_company_id === companyId);
    expect(share).toBeDefined();
    return (share as { id: number }).id;
  };

  const waitingItem = (jobId: string): Promise<Json> =>
    eventually(async () => {
      const item = await itemOf(jobId);
      return item.state === 'waiting' ? item : undefined;
    });

  it('a role share approved 30 s later: the item waits, then runs on its own and the job ends succeeded', async () => {
    const { companyId, subscriberId } = await newRequester();
    const receipt = await deliver(companyId);
    expect(receipt.status).toBe('job_created');

    const waiting = await waitingItem(receipt.jobId);
    expect(waiting).toMatchObject({ waitReason: 'relationship_pending', attempts: 1, lastError: null });
    expect(Date.parse(waiting.waitUntil as string)).toBeGreaterThan(h.clock.nowMs() + 71 * HOUR_MS);
    // Approved and the share requested at the vendor: the registry says so, never `active` early.
    expect(await subscriberStatus(subscriberId)).toBe('role_share_pending');
    const job = (await h.t.http.get(`/v1/provisioning/jobs/${receipt.jobId}`).expect(200)).body as Json;
    expect(job).toMatchObject({ state: 'running', counts: { waiting: 1, failed: 0 } });
    expect(await eventStatus(receipt.eventId)).toBe('job_created');

    // The subscriber grants the share; half a minute later the item looks again, by itself.
    h.emulator.control.approveRoleShareAsSubscriber(await pendingShareOf(companyId));
    h.emulator.control.advanceClock(30_000);

    expect(await waitForEnd(h.t.http, receipt.jobId)).toMatchObject({
      state: 'succeeded',
      counts: { succeeded: 1 },
    });
    expect(await subscriberStatus(subscriberId)).toBe('active');
    await eventually(async () =>
      (await eventStatus(receipt.eventId)) === 'job_succeeded' ? true : undefined,
    );
    const [item] = (await h.t.http.get(`/v1/provisioning/jobs/${receipt.jobId}/items`).expect(200))
      .body as Json[];
    expect(item).toMatchObject({ state: 'succeeded', waitReason: null, attempts: 1 });
    const customers = await fetch(
      `${h.emulator.url}/customers/v2/Customers?action=equals&EmailAddress=${encodeURIComponent(`first@${companyId}.test`)}`,
      { headers: { Authorization: `Bearer ${h.emulator.control.mintCompanyToken(companyId).accessToken}` } },
    );
    // The mapped variable the payload left out took the template's default.
    expect(await customers.json()).toEqual([expect.objectContaining({ last_name: 'eu-west' })]);
  });

  it('a role share never approved: the item fails with RELATIONSHIP_NOT_ACTIVE at the deadline', async () => {
    const { companyId } = await newRequester();
    const receipt = await deliver(companyId);
    await waitingItem(receipt.jobId);

    h.emulator.control.advanceClock(72 * HOUR_MS + 60_000);

    expect(await waitForEnd(h.t.http, receipt.jobId)).toMatchObject({
      state: 'completed_with_errors',
      counts: { failed: 1, waiting: 0 },
    });
    expect(await itemOf(receipt.jobId)).toMatchObject({
      state: 'failed',
      lastError: {
        code: 'RELATIONSHIP_NOT_ACTIVE',
        message: expect.stringContaining('no active role share'),
      },
    });
    await eventually(async () => ((await eventStatus(receipt.eventId)) === 'job_failed' ? true : undefined));
    // Nothing was attempted inside the company it never opened.
    expect(
      h.emulator.control
        .journal()
        .filter((entry) => entry.companyId === companyId && entry.method === 'POST'),
    ).toEqual([]);
  });
});
