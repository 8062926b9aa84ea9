import { ONBOARDING_TEMPLATE } from '../../scripts/lib/onboarding-template';
import { VOLUME_MESSAGE } from '../../src/ipaas-emulator/errors';
import { startVendorHarness, type VendorHarness } from '../utils/vendor-harness';

const COMPANIES = 40;
const TERMINAL = ['succeeded', 'completed_with_errors', 'cancelled', 'failed'];

interface JobView {
  id: string;
  state: string;
  counts: { total: number; succeeded: number; failed: number; skipped: number };
}

/**
 * A fault soak: every vendor route answers 10% 5xx, 5% volume 429s and drops 3% of connections, and still
 * every company of an onboarding job succeeds, with nothing created twice (the client retries transient
 * faults, checks whether a dropped create landed before repeating it, and the ledger retries the item).
 */
describe('provisioning under a fault soak', () => {
  let h: VendorHarness;

  beforeAll(async () => {
    h = await startVendorHarness({
      env: {
        PROVISIONING_POLL_MS: '20',
        PROVISIONING_RETRY_BASE_MS: '20',
        PROVISIONING_RETRY_MAX_MS: '200',
        PROVISIONING_MAX_ATTEMPTS: '8',
      },
      emulator: { seed: { subscribers: COMPANIES, pendingRequests: 0, subscriptionsPerCompany: 1 } },
    });
  });

  afterAll(() => h.close());

  it(`onboards ${COMPANIES} companies with every item succeeded and 0 duplicate creates`, async () => {
    const ids: string[] = [];
    for (let index = 0; index < COMPANIES; index += 1) {
      ids.push((await h.register(index)).id);
    }
    const template = await h.t.http.post('/v1/provisioning/templates').send(ONBOARDING_TEMPLATE).expect(201);
    const vendor = '^/(sso|customers|subscriptions)/';
    h.emulator.control.addFault({
      pathRegex: vendor,
      probability: 0.1,
      action: { type: 'respond', status: 503 },
    });
    h.emulator.control.addFault({
      pathRegex: vendor,
      probability: 0.05,
      action: { type: 'respond', status: 429, body: VOLUME_MESSAGE, headers: { 'Retry-After': '0' } },
    });
    h.emulator.control.addFault({ pathRegex: vendor, probability: 0.03, action: { type: 'drop' } });

    const submitted = await h.t.http
      .post('/v1/provisioning/jobs')
      .send({
        templateId: (template.body as { id: string }).id,
        mode: 'apply',
        subscribers: ids.map((subscriberId) => ({ subscriberId })),
      })
      .expect(201);
    let job = submitted.body as JobView;
    for (let waited = 0; !TERMINAL.includes(job.state) && waited < 60_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      job = (await h.t.http.get(`/v1/provisioning/jobs/${job.id}`).expect(200)).body as JobView;
    }
    const faults = h.emulator.control.listFaults();
    const injected = faults.reduce((sum, rule) => sum + rule.fired, 0);
    process.stdout.write(
      `fault soak: ${injected} faults injected (${faults.map((rule) => rule.fired).join(' / ')})\n`,
    );
    // The soak really bit: every kind of fault fired.
    expect(faults.every((rule) => rule.fired > 0)).toBe(true);
    expect(job).toMatchObject({ state: 'succeeded', counts: { total: COMPANIES, succeeded: COMPANIES } });
    expect(h.emulator.control.stats().duplicateCreates).toBe(0);
  }, 90_000);
});
