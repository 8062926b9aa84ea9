import axios from 'axios';

import { AppError } from '../../src/common/errors/app-error';
import type { DemoInfo } from '../../src/ipaas-emulator';
import {
  type PlannedStep,
  type RenderedSpec,
  StepExecutor,
  type StepOutcome,
  StepPlanner,
} from '../../src/provisioning/steps/step.types';
import { StepReadCache } from '../../src/provisioning/steps/step-read-cache';
import { type Subscriber, SubscribersService } from '../../src/subscribers/subscribers.service';
import { startVendorHarness, type VendorHarness } from '../utils/vendor-harness';

interface VendorCustomer {
  id: number;
  email_address: string;
  first_name: string;
  last_name: string;
  company: string | null;
  external_ids: { system_id: number; external_id: string }[];
}

/** A template rendered for one company: a role, a user with it, persistent data everywhere, a customer. */
const FULL_SPEC: RenderedSpec = {
  roles: [{ name: 'Store Manager', description: 'Runs a store', permissions: ['Customer', 'Subscription'] }],
  users: [
    {
      email: 'manager@acme.test',
      firstName: 'Store',
      lastName: 'Manager',
      roles: ['Store Manager', 'Viewer'],
    },
  ],
  persistentData: [{ subscription: 'all', name: 'Region', value: 'eu-west' }],
  customers: [
    {
      email: 'buyer@acme.test',
      firstName: 'Bea',
      lastName: 'Buyer',
      companyName: 'Acme',
      externalId: 'B-1',
      externalSystemId: 3,
    },
  ],
};

const CUSTOMER_SPEC: RenderedSpec = {
  customers: [{ email: 'solo@acme.test', firstName: 'Sol', lastName: 'Oh' }],
};

describe('provisioning steps (plan and ensure) against the emulator', () => {
  let h: VendorHarness;
  let planner: StepPlanner;
  let executor: StepExecutor;
  let subscribers: SubscribersService;
  let demo: DemoInfo;
  let nextCompany = 0;

  beforeAll(async () => {
    h = await startVendorHarness();
    planner = h.t.app.get(StepPlanner);
    executor = h.t.app.get(StepExecutor);
    subscribers = h.t.app.get(SubscribersService);
    demo = h.emulator.control.demo() as DemoInfo;
  });

  afterAll(async () => {
    await h.close();
  });

  beforeEach(() => {
    h.emulator.control.clearFaults();
    h.emulator.control.clearJournal();
  });

  /** A seeded subscriber company, registered in Tenantry (each test takes its own). */
  const freshCompany = async (): Promise<Subscriber> => {
    const { id } = await h.register(nextCompany);
    nextCompany += 1;
    return subscribers.get(id);
  };

  /** One item attempt: the steps in order, sharing one read cache. */
  const applyAll = async (subscriber: Subscriber, steps: PlannedStep[]): Promise<StepOutcome[]> => {
    const readCache = new StepReadCache();
    const outcomes: StepOutcome[] = [];
    for (const step of steps) {
      outcomes.push(await executor.execute(subscriber, step, { expectedObserved: step.observed, readCache }));
    }
    return outcomes;
  };

  /** Vendor requests other than reads since the journal was cleared. */
  const vendorWrites = (): string[] =>
    h.emulator.control
      .journal()
      .filter((entry) => entry.method !== 'GET')
      .map((entry) => `${entry.method} ${entry.url}`);

  /** A direct call to the emulator as the company (what someone else at the vendor would do). */
  const asCompany = async <T>(
    companyId: string,
    method: 'get' | 'put' | 'post',
    path: string,
    data?: unknown,
  ): Promise<T> => {
    const token = h.emulator.control.mintCompanyToken(companyId).accessToken;
    const response = await axios.request<T>({
      method,
      url: `${h.emulator.url}${path}`,
      data,
      headers: { Authorization: `Bearer ${token}` },
    });
    return response.data;
  };

  const customerAtVendor = async (companyId: string, email: string): Promise<VendorCustomer[]> =>
    asCompany<VendorCustomer[]>(
      companyId,
      'get',
      `/customers/v2/Customers?action=equals&EmailAddress=${encodeURIComponent(email)}`,
    );

  it('plans creates on a fresh company, creates everything, then finds nothing to do (0 writes)', async () => {
    const subscriber = await freshCompany();
    const companyId = subscriber.ipaasCompanyId;

    const plan = await planner.planCompany(subscriber, FULL_SPEC);
    expect(
      plan.map(({ index, kind, key, action, observed }) => [index, kind, key, action, observed]),
    ).toEqual([
      [0, 'role', 'role:store manager', 'create', null],
      [1, 'user', 'user:manager@acme.test', 'create', null],
      [2, 'persistent_data', 'persistent_data:all:Region', 'create', null],
      [3, 'customer', 'customer:buyer@acme.test', 'create', null],
    ]);
    // The user step reuses the role list of the role step. The seed gives every company 3 subscriptions:
    // list + 3 reads + 3 writes for the persistent data.
    expect(plan.map(({ estimatedCalls }) => estimatedCalls)).toEqual([2, 2, 7, 2]);
    expect(vendorWrites()).toEqual([expect.stringMatching(/^POST \/sso\/v2\/Auth\/Login/)]);

    h.emulator.control.clearJournal();
    const applied = await applyAll(subscriber, plan);
    expect(applied.map(({ action, drift }) => [action, drift])).toEqual([
      ['created', false],
      ['created', false],
      ['created', false],
      ['created', false],
    ]);
    // The step counts are what reached the vendor as the company (the token mint is not a step's call).
    const companyCalls = h.emulator.control.journal().filter((entry) => entry.companyId === companyId).length;
    expect(applied.reduce((sum, outcome) => sum + outcome.vendorCalls, 0)).toBe(companyCalls);
    expect(applied.map(({ vendorCalls }) => vendorCalls)).toEqual(
      plan.map(({ estimatedCalls }) => estimatedCalls),
    );

    const roles = await asCompany<{ id: number; name: string; permissions: string[] }[]>(
      companyId,
      'get',
      '/sso/v2/Roles?pageSize=100',
    );
    const manager = roles.find((role) => role.name === 'Store Manager');
    const viewer = roles.find((role) => role.name === 'Viewer');
    expect(manager?.permissions.sort()).toEqual(['Customer', 'Subscription']);
    const users = await asCompany<{ email_address: string; role_ids: number[] }[]>(
      companyId,
      'get',
      '/sso/v2/Users?pageSize=100',
    );
    expect(users.find((user) => user.email_address === 'manager@acme.test')?.role_ids.sort()).toEqual(
      [manager?.id, viewer?.id].sort(),
    );
    const subscriptions = await asCompany<{ id: number }[]>(
      companyId,
      'get',
      '/subscriptions/v2/Subscriptions',
    );
    for (const { id } of subscriptions) {
      const detail = await asCompany<{ persistent_data: { name: string; value: string }[] }>(
        companyId,
        'get',
        `/subscriptions/v2/Subscription/${id}?include=persistentdata`,
      );
      expect(detail.persistent_data).toContainEqual(
        expect.objectContaining({ name: 'Region', value: 'eu-west' }),
      );
    }
    expect(await customerAtVendor(companyId, 'buyer@acme.test')).toEqual([
      expect.objectContaining({
        first_name: 'Bea',
        last_name: 'Buyer',
        company: 'Acme',
        external_ids: [expect.objectContaining({ system_id: 3, external_id: 'B-1' })],
      }),
    ]);

    h.emulator.control.clearJournal();
    const again = await applyAll(subscriber, planner.outline(FULL_SPEC));
    expect(again.map(({ action }) => action)).toEqual(['noop', 'noop', 'noop', 'noop']);
    expect(vendorWrites()).toEqual([]);

    const replan = await planner.planCompany(subscriber, FULL_SPEC);
    expect(replan.map(({ action }) => action)).toEqual(['noop', 'noop', 'noop', 'noop']);
    expect(replan.every(({ observed }) => typeof observed === 'string' && observed.length === 64)).toBe(true);
    expect(vendorWrites()).toEqual([]);
    expect(h.emulator.control.stats().duplicateCreates).toBe(0);
  });

  it('onboards a company with the bench template in 7 vendor calls (token mint included), re-runs in 3 reads', async () => {
    const subscriber = await freshCompany();
    const companyId = subscriber.ipaasCompanyId;
    const [subscription] = await asCompany<{ id: number }[]>(
      companyId,
      'get',
      '/subscriptions/v2/Subscriptions',
    );
    const bench: RenderedSpec = {
      users: [{ email: 'ops@bench.test', firstName: 'Ops', lastName: 'Person' }],
      persistentData: [{ subscription: subscription?.id, name: 'Tier', value: 'gold' }],
      customers: [{ email: 'first@bench.test', firstName: 'First', lastName: 'Customer' }],
    };
    h.emulator.control.clearJournal();

    const outcomes = await applyAll(subscriber, planner.outline(bench));
    expect(outcomes.map(({ action }) => action)).toEqual(['created', 'created', 'created']);
    const calls = h.emulator.control
      .journal()
      .filter((entry) => entry.companyId === companyId || entry.url.includes(`ChangeCompany/${companyId}`))
      .map((entry) => `${entry.method} ${entry.url.split('?')[0]}`);
    expect(calls).toEqual([
      `GET /sso/v2/User/ChangeCompany/${companyId}`,
      'GET /sso/v2/Users',
      'POST /sso/v2/Users',
      `GET /subscriptions/v2/Subscription/${subscription?.id}`,
      `POST /subscriptions/v2/Subscription/PersistentData/${subscription?.id}`,
      'GET /customers/v2/Customers',
      'POST /customers/v2/Customer',
    ]);

    h.emulator.control.clearJournal();
    const rerun = await applyAll(subscriber, planner.outline(bench));
    expect(rerun.map(({ action, vendorCalls }) => [action, vendorCalls])).toEqual([
      ['noop', 1],
      ['noop', 1],
      ['noop', 1],
    ]);
    expect(h.emulator.control.journal()).toHaveLength(3);
  });

  it('plans and applies an update when someone changed the resource at the vendor', async () => {
    const subscriber = await freshCompany();
    const companyId = subscriber.ipaasCompanyId;
    await applyAll(subscriber, planner.outline(FULL_SPEC));
    const before = await planner.planCompany(subscriber, FULL_SPEC);
    const [customer] = await customerAtVendor(companyId, 'buyer@acme.test');
    await asCompany(companyId, 'put', `/customers/v2/Customer/${customer?.id}`, { last_name: 'Renamed' });

    const plan = await planner.planCompany(subscriber, FULL_SPEC);
    expect(plan.map(({ action }) => action)).toEqual(['noop', 'noop', 'noop', 'update']);
    expect(plan[3]?.observed).not.toBe(before[3]?.observed);
    expect(plan.slice(0, 3).map(({ observed }) => observed)).toEqual(
      before.slice(0, 3).map(({ observed }) => observed),
    );

    h.emulator.control.clearJournal();
    const outcomes = await applyAll(subscriber, plan);
    expect(outcomes.map(({ action, drift }) => [action, drift])).toEqual([
      ['noop', false],
      ['noop', false],
      ['noop', false],
      ['updated', false],
    ]);
    expect(vendorWrites()).toEqual([`PUT /customers/v2/Customer/${customer?.id}`]);
    expect(await customerAtVendor(companyId, 'buyer@acme.test')).toEqual([
      expect.objectContaining({ id: customer?.id, last_name: 'Buyer', company: 'Acme' }),
    ]);
  });

  it('flags drift when the vendor changed between the plan and the apply, and still ensures the state', async () => {
    const subscriber = await freshCompany();
    const companyId = subscriber.ipaasCompanyId;
    const plan = await planner.planCompany(subscriber, CUSTOMER_SPEC);
    expect(plan[0]).toMatchObject({ action: 'create', observed: null });
    // Someone creates the customer, with another name, after the plan.
    await asCompany(companyId, 'post', '/customers/v2/Customer', {
      email_address: 'solo@acme.test',
      first_name: 'Sol',
      last_name: 'Other',
    });

    const [step] = plan;
    const outcome = await executor.execute(subscriber, step, {
      expectedObserved: step?.observed,
    });
    expect(outcome).toMatchObject({ action: 'updated', drift: true });
    expect(await customerAtVendor(companyId, 'solo@acme.test')).toEqual([
      expect.objectContaining({ last_name: 'Oh' }),
    ]);

    // Unchanged since its plan: no drift.
    const replanned = await planner.planCompany(subscriber, {
      ...CUSTOMER_SPEC,
      customers: [{ email: 'solo@acme.test', firstName: 'New', lastName: 'Name' }],
    });
    const unchanged = await executor.execute(subscriber, replanned[0], {
      expectedObserved: replanned[0]?.observed,
    });
    expect(unchanged).toMatchObject({ action: 'updated', drift: false });
    expect(h.emulator.control.stats().duplicateCreates).toBe(0);
  });

  it('creates nothing twice when a step runs again after its first result was lost', async () => {
    const subscriber = await freshCompany();
    const steps = planner.outline(FULL_SPEC);
    for (const step of steps) {
      const first = await executor.execute(subscriber, step, {});
      expect(first.action).toBe('created');
      // The ledger never recorded `first` (crash): a new attempt runs the same step from scratch.
      h.emulator.control.clearJournal();
      const second = await executor.execute(subscriber, step, { readCache: new StepReadCache() });
      expect(second.action).toBe('noop');
      expect(vendorWrites()).toEqual([]);
    }
    expect(h.emulator.control.stats().duplicateCreates).toBe(0);
  });

  it('retries a create the vendor failed with a 503 (the landed check finds nothing) and creates it once', async () => {
    const subscriber = await freshCompany();
    const companyId = subscriber.ipaasCompanyId;
    h.emulator.control.addFault({
      method: 'POST',
      path: '/customers/v2/Customer',
      count: 1,
      action: { type: 'respond', status: 503, body: 'Service Unavailable' },
    });
    const [step] = planner.outline(CUSTOMER_SPEC);
    const outcome = await executor.execute(subscriber, step, {});
    expect(outcome.action).toBe('created');
    const posts = h.emulator.control
      .journal()
      .filter((entry) => entry.method === 'POST' && entry.url.startsWith('/customers/v2/Customer'))
      .map((entry) => entry.status);
    expect(posts).toEqual([503, 201]);
    // read, 503, landed check, the retried POST.
    expect(outcome.vendorCalls).toBe(4);
    expect(await customerAtVendor(companyId, 'solo@acme.test')).toHaveLength(1);
    expect(h.emulator.control.stats().duplicateCreates).toBe(0);
  });

  it('fails a user step whose role the company lacks, creating nothing', async () => {
    const subscriber = await freshCompany();
    const [step] = planner.outline({
      users: [{ email: 'ghost@acme.test', firstName: 'G', lastName: 'H', roles: ['Ghost'] }],
    });
    const failure = executor.execute(subscriber, step, {});
    await expect(failure).rejects.toBeInstanceOf(AppError);
    await expect(failure).rejects.toMatchObject({ code: 'UNPROCESSABLE' });
    expect(vendorWrites()).toEqual([]);
  });

  it('approves a pending request and requests a role share as the MiSP, once; company steps wait for access', async () => {
    const request = h.emulator.control.createSubscriberRequest({ companyName: 'Newcomer' });
    const registered = await h.t.http
      .post('/v1/subscribers')
      .send({ ipaasCompanyId: request.companyId, name: 'Newcomer' })
      .expect(201);
    const subscriber = await subscribers.get((registered.body as { id: string }).id);
    const spec: RenderedSpec = {
      relationship: {
        approveRequest: true,
        roleShares: [{ roleId: demo.mispRoleId, purpose: 'Onboarding' }],
      },
      ...CUSTOMER_SPEC,
    };

    const plan = await planner.planCompany(subscriber, spec);
    expect(plan.map(({ kind, action }) => [kind, action])).toEqual([
      ['approve_request', 'create'],
      ['role_share', 'create'],
      // The MiSP cannot act in the company yet: outlined, not read.
      ['customer', null],
    ]);
    expect(plan[2]?.observed).toBeUndefined();

    const relationshipSteps = plan.slice(0, 2);
    const applied = await applyAll(subscriber, relationshipSteps);
    expect(applied.map(({ action }) => action)).toEqual(['created', 'created']);
    h.emulator.control.clearJournal();
    const again = await applyAll(subscriber, relationshipSteps);
    expect(again.map(({ action }) => action)).toEqual(['noop', 'noop']);
    expect(vendorWrites()).toEqual([]);

    const shares = (
      await asCompany<{ id: number; subscriber_company_id: string; role_id: number; status: string }[]>(
        demo.mispCompanyId,
        'get',
        '/sso/v2/MiSP/RoleShares?pageSize=1000',
      )
    ).filter((share) => share.subscriber_company_id === request.companyId);
    expect(shares.map(({ role_id, status }) => [role_id, status])).toEqual([[demo.mispRoleId, 'pending']]);
    h.emulator.control.approveRoleShareAsSubscriber(shares[0]?.id);

    const opened = await planner.planCompany(subscriber, spec);
    expect(opened.map(({ action }) => action)).toEqual(['noop', 'noop', 'create']);
    const customer = await executor.execute(subscriber, opened[2], {});
    expect(customer.action).toBe('created');
    expect(h.emulator.control.stats().duplicateCreates).toBe(0);
  });
  describe('converges when a create is answered "already exists" (issue 13)', () => {
    /** Hides what exists from the step's first read of `path`: that list read answers an empty page once. */
    const hideOnce = (path: string, companyId?: string): void => {
      h.emulator.control.addFault({
        method: 'GET',
        path,
        companyId,
        count: 1,
        action: { type: 'respond', status: 200, body: '[]', headers: { 'content-type': 'application/json' } },
      });
    };

    const writesWithStatus = (): string[] =>
      h.emulator.control
        .journal()
        // Writes of the steps (a MiSP login on the first call of a run is the context's, not a step's).
        .filter((entry) => entry.method !== 'GET' && !entry.url.includes('/Auth/'))
        .map(
          (entry) => `${entry.method} ${entry.url.split('?')[0].replace(/\/\d+$/, '/:id')} ${entry.status}`,
        );

    it('adopts a user the first read did not see and updates its names', async () => {
      const subscriber = await freshCompany();
      const companyId = subscriber.ipaasCompanyId;
      await asCompany(companyId, 'post', '/sso/v2/Users', {
        email_address: 'adopt@acme.test',
        first_name: 'Old',
        last_name: 'Name',
        role_ids: [],
      });
      h.emulator.control.clearJournal();
      hideOnce('/sso/v2/Users', companyId);
      const [step] = planner.outline({
        users: [{ email: 'adopt@acme.test', firstName: 'New', lastName: 'Name' }],
      });

      const outcome = await executor.execute(subscriber, step, { readCache: new StepReadCache() });

      expect(outcome.action).toBe('adopted');
      // The refused create, then the update of the adopted user (found by a fresh read, not the cached empty one).
      expect(writesWithStatus()).toEqual(['POST /sso/v2/Users 400', 'PUT /sso/v2/User/:id 200']);
      const users = await asCompany<{ email_address: string; first_name: string }[]>(
        companyId,
        'get',
        '/sso/v2/Users?pageSize=1000',
      );
      expect(users.filter((user) => user.email_address === 'adopt@acme.test')).toEqual([
        expect.objectContaining({ first_name: 'New' }),
      ]);
      // Read, refused create, fresh read, update.
      expect(outcome.vendorCalls).toBe(4);
    });

    it('adopts a role and a customer, updating what differs', async () => {
      const subscriber = await freshCompany();
      const companyId = subscriber.ipaasCompanyId;
      await asCompany(companyId, 'post', '/sso/v2/Roles', { name: 'Auditor', permissions: ['Customer'] });
      await asCompany(companyId, 'post', '/customers/v2/Customer', {
        email_address: 'taken@acme.test',
        first_name: 'Tak',
        last_name: 'En',
      });
      h.emulator.control.clearJournal();
      hideOnce('/sso/v2/Roles', companyId);
      hideOnce('/customers/v2/Customers', companyId);
      const steps = planner.outline({
        roles: [{ name: 'Auditor', permissions: ['Customer', 'Subscription'] }],
        customers: [{ email: 'taken@acme.test', firstName: 'Tak', lastName: 'En' }],
      });

      const outcomes = await applyAll(subscriber, steps);

      expect(outcomes.map(({ action }) => action)).toEqual(['adopted', 'adopted']);
      expect(writesWithStatus()).toEqual([
        'POST /sso/v2/Roles 400',
        'PUT /sso/v2/Role/:id 200',
        // Already as desired once adopted: no update.
        'POST /customers/v2/Customer 400',
      ]);
    });

    it('fails with VENDOR_CONFLICT_UNRESOLVED when the fresh read still finds nothing', async () => {
      const subscriber = await freshCompany();
      h.emulator.control.addFault({
        method: 'POST',
        path: '/sso/v2/Users',
        count: 1,
        action: {
          type: 'respond',
          status: 400,
          body: 'BIZL-1001 A user with email ghost@acme.test in this company already exists.',
        },
      });
      const [step] = planner.outline({
        users: [{ email: 'ghost@acme.test', firstName: 'G', lastName: 'H' }],
      });
      const failure = executor.execute(subscriber, step, {});
      await expect(failure).rejects.toMatchObject({
        code: 'VENDOR_CONFLICT_UNRESOLVED',
        detail: expect.stringContaining('BIZL-1001 A user with email ghost@acme.test'),
      });
      expect(writesWithStatus()).toEqual(['POST /sso/v2/Users 400']);
    });
    it('adopts a role share that exists and an approval made meanwhile, advancing the registry', async () => {
      const request = h.emulator.control.createSubscriberRequest({ companyName: 'Adopted' });
      const registered = await h.t.http
        .post('/v1/subscribers')
        .send({ ipaasCompanyId: request.companyId, name: 'Adopted' })
        .expect(201);
      const subscriberId = (registered.body as { id: string }).id;
      // The registry learns the vendor's view of the relationship (requested) from a sync (which registers
      // every listed company: this test comes last).
      await h.t.http.post('/v1/subscribers/sync').expect(200);
      expect((await subscribers.get(subscriberId)).status).toBe('requested');
      const pending = await asCompany<unknown[]>(
        demo.mispCompanyId,
        'get',
        '/sso/v2/MiSP/SubscriberRequests?status=pending&pageSize=1000',
      );
      const mine = pending.filter(
        (entry) => (entry as { subscriber_company_id: string }).subscriber_company_id === request.companyId,
      );
      expect(mine).toHaveLength(1);
      // Approved at the vendor after our read of the pending list (the stale page below is that read).
      await asCompany(
        demo.mispCompanyId,
        'put',
        `/sso/v2/MiSP/SubscriberRequest/${(mine[0] as { id: number }).id}/Approve`,
      );
      h.emulator.control.clearJournal();
      h.emulator.control.addFault({
        method: 'GET',
        path: '/sso/v2/MiSP/SubscriberRequests',
        count: 1,
        action: {
          type: 'respond',
          status: 200,
          body: JSON.stringify(mine),
          headers: { 'content-type': 'application/json' },
        },
      });
      const [approve] = planner.outline({ relationship: { approveRequest: true } });
      const approved = await executor.execute(await subscribers.get(subscriberId), approve, {});
      expect(approved.action).toBe('adopted');
      expect((await subscribers.get(subscriberId)).status).toBe('approved');

      // A role share requested meanwhile (by our own lost attempt, say): hidden from the first read.
      await asCompany(demo.mispCompanyId, 'post', '/sso/v2/MiSP/RoleShares', {
        subscriber_company_id: request.companyId,
        role_id: demo.mispRoleId,
        purpose: 'Onboarding',
      });
      h.emulator.control.clearJournal();
      hideOnce('/sso/v2/MiSP/RoleShares');
      const [share] = planner.outline({
        relationship: { roleShares: [{ roleId: demo.mispRoleId, purpose: 'Onboarding' }] },
      });
      const shared = await executor.execute(await subscribers.get(subscriberId), share, {});
      expect(shared.action).toBe('adopted');
      expect(writesWithStatus()).toEqual(['POST /sso/v2/MiSP/RoleShares 400']);
      expect((await subscribers.get(subscriberId)).status).toBe('role_share_pending');
    });
  });
});
