import { ItemLease } from '../../src/provisioning/ledger/item-lease';
import { ItemRunner } from '../../src/provisioning/ledger/item-runner';
import { LedgerRepository } from '../../src/provisioning/ledger/ledger.repository';
import type { LeasedClaim } from '../../src/provisioning/ledger/ledger.types';
import { ONBOARDING_TEMPLATE } from '../../scripts/lib/onboarding-template';
import { createTemplate, parseEventStream, submitJob, waitForEnd } from '../utils/provisioning-api';
import { eventually } from '../utils/provisioning-fakes';
import { startVendorHarness, type VendorHarness } from '../utils/vendor-harness';

type Json = Record<string, unknown>;

const LEASE_MS = 30_000;

/** POSTs that created (or tried to create) a user in `companyId`, from the emulator's journal. */
function userCreates(h: VendorHarness, companyId?: string): number {
  return h.emulator.control
    .journal()
    .filter(
      (entry) =>
        entry.method === 'POST' &&
        entry.url.startsWith('/sso/v2/Users') &&
        (companyId === undefined || entry.companyId === companyId),
    ).length;
}

/**
 * Issue 13: a job converges whatever the timing. A create the vendor answers "already exists" is adopted, and a
 * worker never writes at the vendor once its lease is gone: not when its lease is taken over, and not when
 * leases are much shorter than the scheduler's queueing.
 */
describe('provisioning converges under lapsed leases and "already exists" answers', () => {
  describe('adoption through the jobs API', () => {
    let h: VendorHarness;

    beforeAll(async () => {
      h = await startVendorHarness({
        env: { PROVISIONING_POLL_MS: '20' },
        emulator: { seed: { subscribers: 2, pendingRequests: 0 } },
      });
    });

    afterAll(async () => {
      await h.close();
    });

    it('a create answered "already exists" for a user the first read did not see ends succeeded, adopted', async () => {
      const { id, ipaasCompanyId } = await h.register(0);
      const email = `ops@${ipaasCompanyId}.test`;
      // The user exists at the vendor (an earlier attempt's create landed unrecorded, say) …
      const token = h.emulator.control.mintCompanyToken(ipaasCompanyId).accessToken;
      await fetch(`${h.emulator.url}/sso/v2/Users`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ email_address: email, first_name: 'Old', last_name: 'Name', role_ids: [] }),
      });
      // … but the step's read does not show it.
      h.emulator.control.addFault({
        method: 'GET',
        path: '/sso/v2/Users',
        companyId: ipaasCompanyId,
        count: 1,
        action: { type: 'respond', status: 200, body: '[]', headers: { 'content-type': 'application/json' } },
      });
      const templateId = await createTemplate(h.t.http, {
        users: [{ email: 'ops@{{subscriber.ipaasCompanyId}}.test', firstName: 'Op', lastName: 'Erator' }],
      });

      const jobId = await submitJob(h.t.http, {
        templateId,
        mode: 'apply',
        subscribers: [{ subscriberId: id }],
      });
      const job = await waitForEnd(h.t.http, jobId);

      expect(job).toMatchObject({ state: 'succeeded', counts: { succeeded: 1, failed: 0 } });
      const [item] = (await h.t.http.get(`/v1/provisioning/jobs/${jobId}/items`).expect(200)).body as {
        steps: Json[];
      }[];
      expect(item.steps).toEqual([expect.objectContaining({ state: 'succeeded', resultAction: 'adopted' })]);
      const report = (await h.t.http.get(`/v1/provisioning/jobs/${jobId}/report`).expect(200)).body as {
        items: Json[];
      };
      expect(report.items).toEqual([expect.objectContaining({ created: 0, adopted: 1 })]);
      const csv = await h.t.http.get(`/v1/provisioning/jobs/${jobId}/report?format=csv`).expect(200);
      expect(csv.text.split('\r\n')[0]).toContain(',noop,adopted,');
      const events = parseEventStream(
        (await h.t.http.get(`/v1/provisioning/jobs/${jobId}/events`).buffer(true).expect(200)).text,
      );
      expect(events.find((event) => event.type === 'step.adopted')?.data).toMatchObject({
        kind: 'user',
        key: `user:${email}`,
        stepIndex: 0,
      });
      const metrics = await h.t.http.get('/metrics').expect(200);
      expect(metrics.text).toMatch(
        /tenantry_provisioning_step_results_total\{kind="user",action="adopted"\} 1\b/,
      );
      // One user, with the template's names: the adopted user was updated.
      const found = h.emulator.control.findUser(email);
      expect(found).toMatchObject({ name: 'Op Erator', companyIds: [ipaasCompanyId] });
    });
  });

  describe('a worker whose lease was taken over', () => {
    let h: VendorHarness;

    beforeAll(async () => {
      h = await startVendorHarness({
        env: {
          // No pool of the app's own: the test plays both workers.
          PROVISIONING_CONCURRENCY: '0',
          // One call per company every 2 s: a step's create waits that long in the scheduler after its read.
          IPAAS_COMPANY_RATE_PER_SECOND: '0.5',
          PROVISIONING_LEASE_MS: String(LEASE_MS),
        },
        emulator: { seed: { subscribers: 2, pendingRequests: 0 } },
      });
    });

    afterAll(async () => {
      await h.close();
    });

    it('makes no further vendor write (virtual clock): only the new holder creates', async () => {
      const { id, ipaasCompanyId } = await h.register(0);
      const templateId = await createTemplate(h.t.http, {
        users: [{ email: 'ops@{{subscriber.ipaasCompanyId}}.test', firstName: 'Op', lastName: 'Erator' }],
      });
      const jobId = await submitJob(h.t.http, {
        templateId,
        mode: 'apply',
        subscribers: [{ subscriberId: id }],
      });
      const ledger = h.t.app.get(LedgerRepository);
      const runner = h.t.app.get(ItemRunner);
      const claim = async (owner: string): Promise<LeasedClaim> => {
        const now = h.clock.nowMs();
        return (await ledger.claim(owner, now, now + LEASE_MS)) as LeasedClaim;
      };
      h.emulator.control.clearJournal();

      const a = await claim('worker-A');
      const runA = runner.run(new ItemLease(a, ledger, h.clock, LEASE_MS));
      // A has read the company's users (nothing there); its create now waits for the company's next slot.
      await eventually(
        () =>
          h.emulator.control
            .journal()
            .some((entry) => entry.method === 'GET' && entry.url.startsWith('/sso/v2/Users'))
            ? true
            : undefined,
        5000,
      );
      // Meanwhile A's lease lapses (a starved process, a late renewal) and worker B takes the item over.
      h.emulator.control.advanceClock(LEASE_MS + 1);
      const b = await claim('worker-B');
      expect(b).toMatchObject({ itemId: a.itemId, fence: a.fence + 1 });
      const runB = runner.run(new ItemLease(b, ledger, h.clock, LEASE_MS));
      await Promise.all([runA, runB]);

      // A's create reached its slot after the takeover: it was abandoned unsent. B read and created once.
      expect(userCreates(h, ipaasCompanyId)).toBe(1);
      expect(h.emulator.control.stats().duplicateCreates).toBe(0);
      const job = await waitForEnd(h.t.http, jobId);
      expect(job).toMatchObject({ state: 'succeeded', counts: { succeeded: 1 } });
      expect(await ledger.findItem(a.itemId)).toMatchObject({ state: 'succeeded', fence: b.fence });
    });
  });

  describe('leases much shorter than the scheduler queueing', () => {
    const COMPANIES = 100;
    let h: VendorHarness;

    beforeAll(async () => {
      h = await startVendorHarness({
        env: {
          // 64 items in flight share 50 calls/s: each call waits about 1.3 s in the scheduler, four leases.
          PROVISIONING_CONCURRENCY: '64',
          PROVISIONING_LEASE_MS: '300',
          PROVISIONING_POLL_MS: '20',
          IPAAS_TIMEOUT_MS: '150',
          IPAAS_GLOBAL_RATE_PER_SECOND: '50',
          IPAAS_COMPANY_RATE_PER_SECOND: '50',
        },
        emulator: { seed: { subscribers: COMPANIES, pendingRequests: 0, subscriptionsPerCompany: 1 } },
      });
    });

    afterAll(async () => {
      await h.close();
    });

    it(`a ${COMPANIES}-company job with a 300 ms lease ends succeeded with 0 duplicate create attempts`, async () => {
      const ids: string[] = [];
      for (let index = 0; index < COMPANIES; index += 1) {
        ids.push((await h.register(index)).id);
      }
      const templateId = await createTemplate(h.t.http, ONBOARDING_TEMPLATE.spec);
      h.emulator.control.clearJournal();
      const jobId = await submitJob(h.t.http, {
        templateId,
        mode: 'apply',
        subscribers: ids.map((subscriberId) => ({ subscriberId })),
      });

      const job = await waitForEnd(h.t.http, jobId, 120_000);

      const stats = h.emulator.control.stats();
      if (stats.duplicateCreates > 0) {
        // What the vendor saw of the companies that got a create twice, for the failure's reader.
        const writes = h.emulator.control.journal().filter((entry) => entry.method !== 'GET');
        const twice = new Set(
          writes
            .filter((entry) => entry.errorCode !== null && entry.errorCode.startsWith('BIZL'))
            .map((entry) => entry.companyId),
        );
        process.stdout.write(
          `duplicates ${JSON.stringify(stats.duplicateCreatesByKind)}:\n${h.emulator.control
            .journal()
            .filter((entry) => twice.has(entry.companyId))
            .map((entry) => `${entry.at} ${entry.method} ${entry.url} ${entry.status} ${entry.outcome}`)
            .join('\n')}\n`,
        );
      }
      expect(job).toMatchObject({ state: 'succeeded', counts: { succeeded: COMPANIES } });
      expect(stats.duplicateCreates).toBe(0);
      expect(userCreates(h)).toBe(COMPANIES);
    }, 180_000);
  });
});
