import { DomainEvents } from '../../src/common/events/domain-events';
import { IpaasClient } from '../../src/ipaas/ipaas-client';
import { VendorError } from '../../src/ipaas/vendor-error';
import { startVendorHarness, type VendorHarness } from '../utils/vendor-harness';
import { maxInAnyWindow } from '../utils/windows';

const SUBSCRIPTIONS = /\/subscriptions\/v2\/Subscriptions/i;
const CUSTOMERS = /\/customers\/v2\/Customer/i;

describe('iPaaS.com client against the emulator with faults', () => {
  let h: VendorHarness;
  let client: IpaasClient;
  let companyId: string;
  let token: string;

  beforeAll(async () => {
    // IPAAS_MAX_RETRIES=2: a retryable failure is tried 3 times in all.
    h = await startVendorHarness({ env: { IPAAS_RETRY_AFTER_CAP_MS: '2000' } });
    client = h.t.app.get(IpaasClient);
    client.useRandom(() => 0.5);
    companyId = h.emulator.control.subscriberCompanyIds()[0];
    token = h.emulator.control.mintCompanyToken(companyId).accessToken;
  });

  afterAll(async () => {
    await h.close();
  });

  beforeEach(() => {
    h.emulator.control.clearFaults();
    h.emulator.control.clearJournal();
  });

  const read = () => client.call<unknown[]>('listSubscriptions', { lane: `lane-${companyId}`, token });

  it.each([
    [400, 'VALD-1002 required field', 'validation', 1],
    [401, 'AUTH-1002 token invalid', 'auth', 1],
    [403, 'AUTZ-1002 permission', 'forbidden', 1],
    [404, 'NFND-1005 not found', 'not_found', 1],
    [409, 'BIZL-1006 must be unique', 'conflict', 1],
    [429, 'Too many requests (temporary volume restriction)', 'rate_limited_volume', 3],
    [429, 'Monthly API call limit reached', 'rate_limited_monthly', 1],
    [500, 'INTL-1001 generic error', 'server', 3],
    [502, '<html>Bad Gateway</html>', 'server', 3],
    [503, '', 'server', 3],
    [504, 'Gateway Timeout', 'server', 3],
  ] as const)('HTTP %i "%s" → %s after %i attempt(s)', async (status, body, kind, attempts) => {
    h.emulator.control.addFault({ path: '/subscriptions/**', action: { type: 'respond', status, body } });
    const error = (await read().catch((failure: unknown) => failure)) as VendorError;
    expect(error).toBeInstanceOf(VendorError);
    expect(error.kind).toBe(kind);
    expect(error.details.attempts).toBe(attempts);
    expect(h.calls(SUBSCRIPTIONS)).toBe(attempts);
  });

  it('retries dropped connections and timeouts, then succeeds', async () => {
    h.emulator.control.addFault({ path: '/subscriptions/**', count: 1, action: { type: 'drop' } });
    h.emulator.control.addFault({ path: '/subscriptions/**', count: 1, action: { type: 'hang' } });
    const response = await read();
    expect(response.status).toBe(200);
    expect(response.attempts).toBe(3);
  });

  it('reports network failures once retries are spent, never as success', async () => {
    h.emulator.control.addFault({ path: '/subscriptions/**', action: { type: 'drop' } });
    await expect(read()).rejects.toMatchObject({ kind: 'network', details: { attempts: 3 } });
  });

  it('honours Retry-After in seconds', async () => {
    h.emulator.control.addFault({
      path: '/subscriptions/**',
      count: 1,
      action: {
        type: 'respond',
        status: 429,
        body: 'temporary volume restriction',
        headers: { 'Retry-After': '1' },
      },
    });
    const started = performance.now();
    await expect(read()).resolves.toMatchObject({ status: 200, attempts: 2 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('honours Retry-After as an HTTP-date', async () => {
    const at = new Date(h.clock.nowMs() + 1000).toUTCString();
    h.emulator.control.addFault({
      path: '/subscriptions/**',
      count: 1,
      action: { type: 'respond', status: 503, body: 'busy', headers: { 'Retry-After': at } },
    });
    const started = performance.now();
    await expect(read()).resolves.toMatchObject({ status: 200, attempts: 2 });
    // The date has one-second resolution: the wait is between 0 and 1 s, never the backoff's few ms only.
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('falls back to backoff on a garbage Retry-After', async () => {
    h.emulator.control.addFault({
      path: '/subscriptions/**',
      count: 1,
      action: { type: 'respond', status: 429, body: 'volume', headers: { 'Retry-After': 'soon-ish' } },
    });
    const started = performance.now();
    await expect(read()).resolves.toMatchObject({ status: 200, attempts: 2 });
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('hands a huge Retry-After back as "reschedule" instead of sleeping', async () => {
    h.emulator.control.addFault({
      path: '/subscriptions/**',
      action: { type: 'respond', status: 429, body: 'volume', headers: { 'Retry-After': '86400' } },
    });
    const started = performance.now();
    await expect(read()).rejects.toMatchObject({
      kind: 'rate_limited_volume',
      details: { reschedule: true, retryAfterMs: 86_400_000, attempts: 1 },
    });
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('retries a POST only when the lookup proves the first attempt did not land', async () => {
    const customer = { first_name: 'Ada', last_name: 'Lovelace', email_address: 'ada@acme.test' };
    const post = (landedCheck?: () => Promise<{ landed: false }>) =>
      client.call('createCustomer', { lane: `lane-${companyId}`, token, body: customer, landedCheck });

    h.emulator.control.addFault({
      method: 'POST',
      path: '/customers/**',
      count: 1,
      action: { type: 'respond', status: 502 },
    });
    await expect(post()).rejects.toMatchObject({ kind: 'server', details: { attempts: 1 } });
    expect(h.calls(CUSTOMERS)).toBe(1);

    h.emulator.control.clearJournal();
    h.emulator.control.addFault({
      method: 'POST',
      path: '/customers/**',
      count: 1,
      action: { type: 'respond', status: 502 },
    });
    let lookups = 0;
    const created = await post(() => {
      lookups += 1;
      return Promise.resolve({ landed: false });
    });
    expect(created.status).toBe(201);
    expect(lookups).toBe(1);
    expect(h.emulator.control.stats().duplicateCreates).toBe(0);
  });

  it('asks beforeSend right before each attempt of a write: a refusal sends nothing and comes back as it is', async () => {
    const customer = { first_name: 'Bo', last_name: 'Guard', email_address: 'guard@acme.test' };
    const refusal = new Error('the lease is gone');
    const events: string[] = [];
    const unsubscribe = h.t.app.get(DomainEvents).subscribe((event) => {
      events.push(event.type);
    });
    try {
      let checks = 0;
      const refused = client.call('createCustomer', {
        lane: `lane-${companyId}`,
        token,
        body: customer,
        beforeSend: () => {
          checks += 1;
          return Promise.reject(refusal);
        },
      });
      await expect(refused).rejects.toBe(refusal);
      expect(checks).toBe(1);
      expect(h.calls(CUSTOMERS)).toBe(0);
      // Nothing reached the vendor: no vendor call to audit.
      expect(events).toEqual([]);

      // A retried attempt is asked again: the first POST fails with a 502 (and did not land), the retry is refused.
      h.emulator.control.addFault({
        method: 'POST',
        path: '/customers/**',
        count: 1,
        action: { type: 'respond', status: 502 },
      });
      checks = 0;
      const retried = client.call('createCustomer', {
        lane: `lane-${companyId}`,
        token,
        body: customer,
        landedCheck: () => Promise.resolve({ landed: false }),
        beforeSend: () => {
          checks += 1;
          return checks === 1 ? Promise.resolve() : Promise.reject(refusal);
        },
      });
      await expect(retried).rejects.toBe(refusal);
      expect(checks).toBe(2);
      expect(h.calls(CUSTOMERS)).toBe(1);
    } finally {
      unsubscribe();
    }
  });

  it('refuses hostile pagination: a server that never advances, and one with endless pages', async () => {
    h.emulator.control.addFault({
      path: '/customers/v2/Customers',
      action: {
        type: 'respond',
        status: 200,
        body: '[{"id":1}]',
        headers: {
          'Content-Type': 'application/json',
          'X-Pagination':
            '{"total_Count":9999,"page_Size":1,"current_Page":1,"total_Pages":9999,"previous_Page":"No","next_Page":"Yes"}',
        },
      },
    });
    const stuck = async (): Promise<void> => {
      for await (const page of client.paginate('listCustomers', { lane: `lane-${companyId}`, token })) {
        void page;
      }
    };
    await expect(stuck()).rejects.toMatchObject({ kind: 'protocol' });
    expect(h.calls(/\/customers\/v2\/Customers/i)).toBe(2);

    h.emulator.control.clearFaults();
    const capped = async (): Promise<number> => {
      let pages = 0;
      for await (const page of client.paginate(
        'listCustomers',
        { lane: `lane-${companyId}`, token },
        { pageSize: 1, maxPages: 2 },
      )) {
        pages += page.length;
      }
      return pages;
    };
    await expect(capped()).rejects.toThrow('Pagination exceeded 2 pages');
  });

  it('walks every page of a real list', async () => {
    const items: unknown[] = [];
    for await (const page of client.paginate<unknown>(
      'listCustomers',
      { lane: `lane-${companyId}`, token },
      { pageSize: 1 },
    )) {
      items.push(...page);
    }
    expect(items.length).toBeGreaterThanOrEqual(3);
    expect(h.calls(/\/customers\/v2\/Customers/i)).toBe(items.length);
  });
});

describe('iPaaS.com client limits, observed at the vendor', () => {
  let h: VendorHarness;

  beforeAll(async () => {
    h = await startVendorHarness({
      env: {
        IPAAS_COMPANY_RATE_PER_SECOND: '8',
        IPAAS_COMPANY_CONCURRENCY: '2',
        IPAAS_GLOBAL_RATE_PER_SECOND: '12',
      },
      // The emulator enforces the same limits: any excess would show up as a 429.
      emulator: {
        limits: { ratePerSecond: 8, burst: 8, concurrency: 2 },
        latency: { fixedMs: 40, jitterMs: 20 },
      },
    });
  });

  afterAll(async () => {
    await h.close();
  });

  it('never exceeds the company rate in any 1-s window, nor its concurrency, nor the global rate', async () => {
    const client = h.t.app.get(IpaasClient);
    const [first, second] = h.emulator.control.subscriberCompanyIds();
    const tokens = [first, second].map((id) => h.emulator.control.mintCompanyToken(id).accessToken);
    h.emulator.control.clearJournal();
    await Promise.all(
      Array.from({ length: 36 }, (_, index) =>
        client.call('listSubscriptions', { lane: `company-${index % 2}`, token: tokens[index % 2] }),
      ),
    );
    const journal = h.emulator.control.journal().filter((entry) => SUBSCRIPTIONS.test(entry.url));
    expect(journal).toHaveLength(36);
    expect(journal.filter((entry) => entry.status === 429)).toEqual([]);
    for (const id of [first, second]) {
      const times = journal.filter((entry) => entry.companyId === id).map((entry) => Date.parse(entry.at));
      expect(maxInAnyWindow(times, 1000)).toBeLessThanOrEqual(8);
    }
    expect(
      maxInAnyWindow(
        journal.map((entry) => Date.parse(entry.at)),
        1000,
      ),
    ).toBeLessThanOrEqual(12);
  });
});
