import { randomUUID } from 'node:crypto';

import { DataSource } from 'typeorm';

import { VendorError } from '../../src/ipaas/vendor-error';
import type { ProvisioningWorkers } from '../../src/provisioning/ledger/worker-pool';
import type { PlannedStep, StepOutcome } from '../../src/provisioning/steps/step.types';
import type { Subscriber } from '../../src/subscribers/subscribers.service';
import {
  created,
  eventually,
  gate,
  ScriptedExecutor,
  startScriptedWorkers,
} from '../utils/provisioning-fakes';
import {
  createTemplate,
  parseEventStream,
  type ServerSentEvent,
  waitForEnd,
} from '../utils/provisioning-api';
import type { TestApp } from '../utils/test-app';
import { startVendorHarness, type VendorHarness } from '../utils/vendor-harness';

type Json = Record<string, unknown>;
type Behaviour = (subscriber: Subscriber, step: PlannedStep, call: number) => Promise<StepOutcome>;

/** Two users and a customer per company: three steps. */
const SPEC = {
  variables: [{ name: 'region', required: true }],
  users: [
    { email: 'ops@{{subscriber.ipaasCompanyId}}.test', firstName: 'Op', lastName: 'Erator' },
    { email: 'admin@{{subscriber.ipaasCompanyId}}.test', firstName: 'Ad', lastName: 'Min' },
  ],
  customers: [{ email: 'buyer@example.test', firstName: 'Bea', lastName: '{{vars.region}}' }],
};

describe('provisioning jobs API (scripted steps)', () => {
  let h: VendorHarness;
  let t: TestApp;
  /** Companies the emulator serves that no test has registered yet (registration checks iPaaS.com). */
  let unregistered: string[];
  const freshCompanyIds = (count: number): string[] => unregistered.splice(0, count);
  /** Rows that register new companies on the way (each test gets its own company ids). */
  const newCompanies = (count: number, vars: Record<string, string> = { region: 'eu' }): Json[] =>
    freshCompanyIds(count).map((ipaasCompanyId, index) => ({
      ipaasCompanyId,
      name: `Company ${ipaasCompanyId.slice(0, 8)} ${index}`,
      vars,
    }));
  let dataSource: DataSource;
  let workers: ProvisioningWorkers;
  let templateId: string;
  let behaviour: Behaviour;
  let executor: ScriptedExecutor;

  const count = async (table: string): Promise<number> =>
    Number((await dataSource.query<{ n: number }[]>(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
  const submit = async (subscribers: Json[], extra: Json = {}): Promise<Json> =>
    (
      await t.http
        .post('/v1/provisioning/jobs')
        .send({ templateId, mode: 'apply', subscribers, ...extra })
        .expect(201)
    ).body as Json;
  const auditRows = async (action: string): Promise<{ actorKind: string; target: string | null }[]> =>
    (await t.http.get(`/v1/audit?action=${action}&pageSize=500`).expect(200)).body as {
      actorKind: string;
      target: string | null;
    }[];
  const itemsOf = async (jobId: string, query = ''): Promise<Json[]> =>
    (await t.http.get(`/v1/provisioning/jobs/${jobId}/items?pageSize=500${query}`).expect(200))
      .body as Json[];

  beforeAll(async () => {
    h = await startVendorHarness({
      env: { PROVISIONING_CONCURRENCY: '0' },
      emulator: { seed: { subscribers: 10_100, pendingRequests: 0 } },
    });
    t = h.t;
    unregistered = h.emulator.control.subscriberCompanyIds();
    dataSource = t.app.get(DataSource);
    executor = new ScriptedExecutor((subscriber, step, call) => behaviour(subscriber, step, call));
    workers = startScriptedWorkers(t, { executor });
    templateId = await createTemplate(t.http, SPEC);
  });

  afterAll(async () => {
    await workers.beforeApplicationShutdown();
    await h.close();
  });

  beforeEach(() => {
    behaviour = () => Promise.resolve(created(2));
    executor.calls.length = 0;
  });

  it('validates the whole request first: a 400 lists every bad row and nothing is stored', async () => {
    const known = await submit(newCompanies(1)).then((job) => waitForEnd(t.http, job.id as string));
    const [registered] = await itemsOf(known.id as string);
    const before = {
      jobs: await count('provisioning_jobs'),
      items: await count('provisioning_items'),
      subscribers: await count('subscribers'),
    };
    const [fine, noName, noVars] = freshCompanyIds(3);
    const response = await t.http
      .post('/v1/provisioning/jobs')
      .send({
        templateId,
        mode: 'apply',
        subscribers: [
          { ipaasCompanyId: fine, name: 'Fine', vars: { region: 'eu' } },
          { subscriberId: registered.subscriberId, ipaasCompanyId: 'both-given', vars: { region: 'eu' } },
          { vars: { region: 'eu' } },
          { subscriberId: randomUUID(), vars: { region: 'eu' } },
          { ipaasCompanyId: noName, vars: { region: 'eu' } },
          { ipaasCompanyId: fine, name: 'Again', vars: { region: 'eu' } },
          { subscriberId: registered.subscriberId, vars: { region: 'eu', colour: 'red' } },
          { ipaasCompanyId: noVars, name: 'No vars' },
          // Not listed by iPaaS.com for the MiSP: refused, never registered.
          { ipaasCompanyId: 'acme-co', name: 'Acme', vars: { region: 'eu' } },
          { ipaasCompanyId: randomUUID(), name: 'Nobody', vars: { region: 'eu' } },
        ],
      })
      .expect(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect((response.body.errors as { field: string }[]).map((problem) => problem.field)).toEqual([
      'subscribers.1',
      'subscribers.2',
      'subscribers.3.subscriberId',
      'subscribers.4.name',
      'subscribers.5',
      'subscribers.8.ipaasCompanyId',
      'subscribers.9.ipaasCompanyId',
      'subscribers.6.vars.colour',
      'subscribers.7.vars.region',
    ]);
    expect(response.body.unknownAtVendor).toEqual(['acme-co', expect.any(String)]);
    expect({
      jobs: await count('provisioning_jobs'),
      items: await count('provisioning_items'),
      subscribers: await count('subscribers'),
    }).toEqual(before);

    const structural = await t.http
      .post('/v1/provisioning/jobs')
      .send({
        templateId: randomUUID(),
        mode: 'apply',
        subscribers: [
          { ipaasCompanyId: 'ok-1', name: 'A' },
          { ipaasCompanyId: 'bad id!' },
          { vars: { 'x-y': 1 } },
        ],
      })
      .expect(400);
    expect((structural.body.errors as { field: string }[]).map((problem) => problem.field)).toEqual([
      'subscribers.1.ipaasCompanyId',
      'subscribers.2.vars',
    ]);
    const unknownTemplate = await t.http
      .post('/v1/provisioning/jobs')
      .send({ templateId: randomUUID(), mode: 'apply', subscribers: newCompanies(1) })
      .expect(400);
    expect(unknownTemplate.body.errors).toEqual([
      { field: 'templateId', message: expect.any(String) as string },
    ]);
    const tooMany = await t.http
      .post('/v1/provisioning/jobs')
      .send({ templateId, mode: 'apply', subscribers: Array.from({ length: 10_001 }, () => ({})) })
      .expect(400);
    expect(tooMany.body.errors).toContainEqual({
      field: 'subscribers',
      message: 'subscribers must contain no more than 10000 elements',
    });
    expect(await count('provisioning_jobs')).toBe(before.jobs);

    // A dry run validates the same way and answers what would be stored, storing nothing.
    const dryRun = await t.http
      .post('/v1/provisioning/jobs')
      .send({ templateId, mode: 'apply', subscribers: newCompanies(2), options: { dryRun: true } })
      .expect(200);
    expect(dryRun.body).toMatchObject({ valid: true, rows: 2, newSubscribers: 2, plan: { unplanned: 6 } });
    expect({
      jobs: await count('provisioning_jobs'),
      items: await count('provisioning_items'),
      subscribers: await count('subscribers'),
    }).toEqual(before);
  });

  it('registers unknown companies as active subscribers in the job’s transaction, and runs every step', async () => {
    const rows = newCompanies(3);
    const job = await submit(rows);
    expect(job).toMatchObject({
      state: 'pending',
      mode: 'apply',
      counts: { total: 3, pending: 3 },
      plan: { unplanned: 9, estimatedCalls: expect.any(Number) as number },
    });
    const done = await waitForEnd(t.http, job.id as string);
    expect(done).toMatchObject({
      state: 'succeeded',
      counts: { total: 3, succeeded: 3 },
      vendorCalls: 18,
      etaSeconds: 0,
    });
    for (const row of rows) {
      const found = await t.http.get(`/v1/subscribers?q=${row.ipaasCompanyId as string}`).expect(200);
      expect(found.body).toEqual([expect.objectContaining({ status: 'active', name: row.name })]);
    }
    const items = await itemsOf(job.id as string);
    expect(
      items.map((item) => [item.state, (item.steps as Json[]).map((step) => step.resultAction)]),
    ).toEqual([
      ['succeeded', ['created', 'created', 'created']],
      ['succeeded', ['created', 'created', 'created']],
      ['succeeded', ['created', 'created', 'created']],
    ]);
  });

  it('ends completed_with_errors, never succeeded, when an item failed or was skipped; the job goes on', async () => {
    const rows = newCompanies(6);
    const [permanent, circuit, quota] = rows.map((row) => row.ipaasCompanyId);
    let circuitOpen = true;
    behaviour = (subscriber) => {
      switch (subscriber.ipaasCompanyId) {
        case permanent:
          return Promise.reject(new VendorError('validation', 'VALD-1001 email is taken', { status: 400 }));
        case circuit:
          // Open once: the item is tried again after the circuit's wait, not skipped.
          if (circuitOpen) {
            circuitOpen = false;
            return Promise.reject(
              new VendorError('circuit_open', 'The circuit for this company is open', { retryAfterMs: 50 }),
            );
          }
          return Promise.resolve(created(2));
        case quota:
          return Promise.reject(
            new VendorError('rate_limited_monthly', 'Monthly plan limit reached', { status: 429 }),
          );
        default:
          return Promise.resolve(created(2));
      }
    };
    // The last company is registered and suspended before the job.
    const suspended = (
      await t.http
        .post('/v1/subscribers')
        .send({ ipaasCompanyId: rows[5].ipaasCompanyId, name: 'S' })
        .expect(201)
    ).body.id as string;
    await t.http.post(`/v1/subscribers/${suspended}/suspend`).expect(200);
    const job = await submit(rows);
    const done = await waitForEnd(t.http, job.id as string);
    expect(done).toMatchObject({
      state: 'completed_with_errors',
      counts: { total: 6, succeeded: 3, failed: 1, skipped: 2, pending: 0, running: 0 },
    });
    expect((await itemsOf(job.id as string)).find((item) => item.rowIndex === 1)).toMatchObject({
      state: 'succeeded',
      attempts: 2,
    });
    const failed = await itemsOf(job.id as string, '&state=failed');
    expect(failed).toEqual([
      expect.objectContaining({
        rowIndex: 0,
        attempts: 1,
        lastError: { code: 'VENDOR_REJECTED', message: 'iPaaS.com: VALD-1001 email is taken' },
      }),
    ]);
    const skipped = await itemsOf(job.id as string, '&state=skipped');
    expect(skipped.map((item) => [item.rowIndex, item.skipReason, (item.lastError as Json).code])).toEqual([
      [2, 'VENDOR_QUOTA_EXHAUSTED', 'VENDOR_QUOTA_EXHAUSTED'],
      [5, 'SUBSCRIBER_INACTIVE', 'SUBSCRIBER_INACTIVE'],
    ]);
    // A suspended company gets no vendor call at all.
    expect(executor.callsFor(suspended)).toEqual([]);
  });

  it('cancel: pending items are cancelled at once, running items finish, then the job is cancelled', async () => {
    const held = gate();
    behaviour = async () => {
      await held.promise;
      return created(1);
    };
    const job = await submit(newCompanies(8));
    await eventually(() => (executor.calls.length >= 4 ? true : undefined));
    const cancelling = await t.http.post(`/v1/provisioning/jobs/${job.id as string}/cancel`).expect(200);
    expect(cancelling.body).toMatchObject({ state: 'cancelling', counts: { running: 4, cancelled: 4 } });
    held.open();
    const done = await waitForEnd(t.http, job.id as string);
    expect(done).toMatchObject({ state: 'cancelled', counts: { succeeded: 4, cancelled: 4 } });
    // The running items finished all their steps; the cancelled ones were never started.
    expect(executor.calls).toHaveLength(12);
    const cancelled = await itemsOf(job.id as string, '&state=cancelled');
    expect(cancelled.flatMap((item) => (item.steps as Json[]).map((step) => step.state))).toEqual(
      Array.from({ length: 12 }, () => 'pending'),
    );
    expect(await auditRows('provisioning.job.cancel')).toContainEqual(
      expect.objectContaining({ actorKind: 'api_key', target: `id=${job.id as string}` }),
    );
    const metrics = await t.http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/tenantry_provisioning_items_total\{state="cancelled"\} [1-9]/);
    // Cancelling again is harmless; an ended job has nothing to cancel.
    await t.http.post(`/v1/provisioning/jobs/${job.id as string}/cancel`).expect(200);
    const finished = await waitForEnd(t.http, (await submit(newCompanies(1))).id as string);
    const refused = await t.http.post(`/v1/provisioning/jobs/${finished.id as string}/cancel`).expect(409);
    expect(refused.body.code).toBe('PROVISIONING_JOB_STATE_CONFLICT');
  });

  it('retry runs the failed items only, from their failed step, with fresh attempts', async () => {
    const rows = newCompanies(4);
    const failing = new Set([rows[1].ipaasCompanyId, rows[3].ipaasCompanyId]);
    behaviour = (subscriber, step) =>
      failing.has(subscriber.ipaasCompanyId) && step.index === 1
        ? Promise.reject(new VendorError('forbidden', 'AUTZ-1003 not allowed', { status: 403 }))
        : Promise.resolve(created(2));
    const job = await submit(rows);
    expect(await waitForEnd(t.http, job.id as string)).toMatchObject({
      state: 'completed_with_errors',
      counts: { succeeded: 2, failed: 2 },
    });
    const failedIds = (await itemsOf(job.id as string, '&state=failed')).map(
      (item) => item.subscriberId as string,
    );
    executor.calls.length = 0;
    behaviour = () => Promise.resolve(created(2));
    const retried = await t.http.post(`/v1/provisioning/jobs/${job.id as string}/retry`).expect(200);
    // The failed items are back in the queue (the workers may already be on them).
    expect(retried.body).toMatchObject({ state: 'running', finishedAt: null, counts: { failed: 0 } });
    expect(await waitForEnd(t.http, job.id as string)).toMatchObject({
      state: 'succeeded',
      counts: { succeeded: 4, failed: 0 },
    });
    expect(executor.calls.map((call) => [call.subscriberId, call.stepIndex]).sort()).toEqual(
      failedIds
        .flatMap((id) => [
          [id, 1],
          [id, 2],
        ])
        .sort(),
    );
    const after = await itemsOf(job.id as string);
    expect(
      after
        .filter((item) => failedIds.includes(item.subscriberId as string))
        .map((item) => [item.attempts, item.lastError]),
    ).toEqual([
      [1, null],
      [1, null],
    ]);
    expect(await auditRows('provisioning.job.retry')).toContainEqual(
      expect.objectContaining({ actorKind: 'api_key', target: `id=${job.id as string}` }),
    );
    const nothing = await t.http.post(`/v1/provisioning/jobs/${job.id as string}/retry`).expect(409);
    expect(nothing.body).toMatchObject({ code: 'PROVISIONING_JOB_STATE_CONFLICT', jobState: 'succeeded' });
  });

  it('resume: a cancelled job goes on with its cancelled and failed items and ends succeeded; SSE ids increase across runs', async () => {
    const rows = newCompanies(6);
    const failing = rows[0].ipaasCompanyId;
    const held = gate();
    behaviour = async (subscriber) => {
      await held.promise;
      if (subscriber.ipaasCompanyId === failing) {
        throw new VendorError('forbidden', 'AUTZ-1003 not allowed', { status: 403 });
      }
      return created(1);
    };
    const job = await submit(rows, { options: { concurrency: 2 } });
    const jobId = job.id as string;
    await eventually(() => (executor.calls.length >= 2 ? true : undefined));
    await t.http.post(`/v1/provisioning/jobs/${jobId}/cancel`).expect(200);
    held.open();
    expect(await waitForEnd(t.http, jobId)).toMatchObject({
      state: 'cancelled',
      counts: { succeeded: 1, failed: 1, cancelled: 4 },
    });
    const firstRun = parseEventStream(
      (await t.http.get(`/v1/provisioning/jobs/${jobId}/events`).buffer(true).expect(200)).text,
    );
    const lastOfFirstRun = firstRun.filter((event) => event.type !== 'progress').at(-1) as ServerSentEvent;
    expect(lastOfFirstRun).toMatchObject({ type: 'job.finished', data: { state: 'cancelled', run: 1 } });

    // Only a cancelled job resumes; it puts back the cancelled and the failed items, with fresh attempts.
    const running = await submit(newCompanies(1));
    const notCancelled = await t.http
      .post(`/v1/provisioning/jobs/${running.id as string}/resume`)
      .expect(409);
    expect(notCancelled.body.code).toBe('PROVISIONING_JOB_STATE_CONFLICT');
    behaviour = () => Promise.resolve(created(1));
    const resumed = await t.http.post(`/v1/provisioning/jobs/${jobId}/resume`).expect(200);
    expect(resumed.body).toMatchObject({
      state: 'running',
      finishedAt: null,
      counts: { cancelled: 0, failed: 0 },
    });
    expect(await waitForEnd(t.http, jobId)).toMatchObject({ state: 'succeeded', counts: { succeeded: 6 } });
    expect(await auditRows('provisioning.job.resume')).toContainEqual(
      expect.objectContaining({ actorKind: 'api_key', target: `id=${jobId}` }),
    );

    // Reconnecting after the first run's end: no stale job.finished before the second run's one, and ids go on
    // increasing (events by their sequence, progress events as fractions after it).
    const reconnected = parseEventStream(
      (
        await t.http
          .get(`/v1/provisioning/jobs/${jobId}/events`)
          .set('Last-Event-ID', String(Number(lastOfFirstRun.id) - 1))
          .buffer(true)
          .expect(200)
      ).text,
    );
    const finished = reconnected.filter((event) => event.type === 'job.finished');
    expect(finished.map((event) => event.data)).toEqual([
      expect.objectContaining({ state: 'succeeded', run: 2 }),
    ]);
    expect(reconnected.map((event) => event.type)).toContain('job.resumed');
    for (const stream of [firstRun, reconnected]) {
      const ids = stream.map((event) => Number(event.id));
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    }
    expect(Math.min(...reconnected.map((event) => Number(event.id)))).toBeGreaterThan(
      Number(lastOfFirstRun.id) - 1,
    );
  });

  it('streams item transitions and counts over SSE, resumes after Last-Event-ID and ends with the job', async () => {
    const held = gate();
    behaviour = async () => {
      await held.promise;
      return created(1);
    };
    const job = await submit(newCompanies(3));
    const streaming = t.http.get(`/v1/provisioning/jobs/${job.id as string}/events`).buffer(true);
    setTimeout(held.open, 300);
    const response = await streaming.expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = parseEventStream(response.text);
    const types = events.map((event) => event.type);
    expect(types[0]).toBe('progress');
    expect(types.filter((type) => type === 'item.running')).toHaveLength(3);
    expect(types.filter((type) => type === 'item.succeeded')).toHaveLength(3);
    expect(types).toContain('job.submitted');
    expect(types.filter((type) => type !== 'progress').at(-1)).toBe('job.finished');
    expect(events.at(-1)).toMatchObject({
      type: 'progress',
      data: { state: 'succeeded', counts: { succeeded: 3 } },
    });
    const running = events.find((event) => event.type === 'item.running') as ServerSentEvent;
    expect(running.data).toMatchObject({ rowIndex: expect.any(Number) as number, attempt: 1 });

    const resumeAfter = events.find((event) => event.type === 'item.succeeded') as ServerSentEvent;
    const resumed = await t.http
      .get(`/v1/provisioning/jobs/${job.id as string}/events`)
      .set('Last-Event-ID', resumeAfter.id as string)
      .buffer(true)
      .expect(200);
    const replayed = parseEventStream(resumed.text).filter((event) => event.type !== 'progress');
    expect(replayed.map((event) => Number(event.id))).toEqual(
      events
        .filter((event) => event.type !== 'progress' && Number(event.id) > Number(resumeAfter.id))
        .map((event) => Number(event.id)),
    );
    expect(replayed.at(-1)?.type).toBe('job.finished');
    const unknown = await t.http.get(`/v1/provisioning/jobs/${randomUUID()}/events`).expect(404);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('reports per company as JSON and as injection-safe CSV, and pages items with X-Pagination', async () => {
    const rows = newCompanies(5);
    rows[0].name = '=HYPERLINK("http://evil.test","click")';
    const job = await submit(rows);
    await waitForEnd(t.http, job.id as string);
    const json = await t.http.get(`/v1/provisioning/jobs/${job.id as string}/report?format=json`).expect(200);
    expect(json.body.job).toMatchObject({ id: job.id, state: 'succeeded' });
    expect(json.body.items).toHaveLength(5);
    expect(json.body.items[0]).toMatchObject({
      rowIndex: 0,
      name: rows[0].name,
      ipaasCompanyId: rows[0].ipaasCompanyId,
      state: 'succeeded',
      created: 3,
      updated: 0,
      noop: 0,
      vendorCalls: 6,
    });
    const csv = await t.http.get(`/v1/provisioning/jobs/${job.id as string}/report?format=csv`).expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toContain(`provisioning-job-${job.id as string}.csv`);
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'row_index,subscriber_id,ipaas_company_id,name,state,skip_reason,error_code,error_message,attempts,vendor_calls,drift,created,updated,noop,adopted,started_at,finished_at',
    );
    expect(lines).toHaveLength(6);
    expect(lines[1]).toContain(`,"'=HYPERLINK(""http://evil.test"",""click"")",succeeded,`);
    await t.http.get(`/v1/provisioning/jobs/${randomUUID()}/report?format=csv`).expect(404);

    const page = await t.http
      .get(`/v1/provisioning/jobs/${job.id as string}/items?pageSize=2&pageNumber=2`)
      .expect(200);
    expect((page.body as Json[]).map((item) => item.rowIndex)).toEqual([2, 3]);
    expect(JSON.parse(page.headers['x-pagination'])).toMatchObject({
      total_Count: 5,
      total_Pages: 3,
      current_Page: 2,
    });
    const list = await t.http.get('/v1/provisioning/jobs?pageSize=1').expect(200);
    expect(list.body).toEqual([
      expect.objectContaining({ id: job.id, counts: expect.objectContaining({ total: 5 }) }),
    ]);
    expect(JSON.parse(list.headers['x-pagination']).total_Count).toBeGreaterThan(1);
  });

  it('plans, then applies exactly the plan’s steps with drift flagged; metrics count items and steps', async () => {
    const plan = (
      await t.http
        .post('/v1/provisioning/jobs')
        .send({ templateId, mode: 'plan', subscribers: newCompanies(3) })
        .expect(201)
    ).body as Json;
    const planned = await waitForEnd(t.http, plan.id as string);
    expect(planned).toMatchObject({
      state: 'succeeded',
      mode: 'plan',
      plan: { create: 9, update: 0, noop: 0 },
    });
    expect(executor.calls).toEqual([]);

    const driftFor = (await itemsOf(plan.id as string))[2].subscriberId;
    behaviour = (subscriber) => Promise.resolve({ ...created(2), drift: subscriber.id === driftFor });
    const applied = (
      await t.http
        .post('/v1/provisioning/jobs')
        .send({ templateId, mode: 'apply', planId: plan.id })
        .expect(201)
    ).body as Json;
    expect(applied).toMatchObject({
      planId: plan.id,
      counts: { total: 3 },
      plan: { create: 9, unplanned: 0 },
    });
    expect(await waitForEnd(t.http, applied.id as string)).toMatchObject({ state: 'succeeded', drifted: 1 });
    // The plan's fingerprints were handed to the executor (null: nothing existed when planning).
    expect(executor.calls).toHaveLength(9);
    expect(executor.calls.every((call) => call.expectedObserved === null)).toBe(true);
    const appliedItems = await itemsOf(applied.id as string);
    expect(appliedItems.map((item) => item.drift)).toEqual([false, false, true]);

    const wrongPlan = await t.http
      .post('/v1/provisioning/jobs')
      .send({ templateId, mode: 'apply', planId: applied.id })
      .expect(400);
    expect(wrongPlan.body.errors).toEqual([{ field: 'planId', message: 'no plan job has this id' }]);
    const notPlanned = await t.http
      .post('/v1/provisioning/jobs')
      .send({ templateId, mode: 'apply', planId: plan.id, subscribers: newCompanies(1) })
      .expect(400);
    expect(notPlanned.body.errors).toEqual([
      {
        field: 'subscribers.0',
        message: `is not a company planned successfully by plan job ${plan.id as string}`,
      },
    ]);

    const metrics = await t.http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/tenantry_provisioning_items_total\{state="succeeded"\} \d+/);
    expect(metrics.text).toMatch(/tenantry_provisioning_jobs\{state="succeeded"\} [1-9]/);
    expect(metrics.text).toMatch(
      /tenantry_provisioning_step_duration_seconds_count\{kind="user",outcome="succeeded"\} [1-9]/,
    );
  });

  it('stores a 10,000-row job with real company ids (a body over BODY_LIMIT, within BULK_BODY_LIMIT)', async () => {
    const rows = freshCompanyIds(10_000).map((ipaasCompanyId, index) => ({
      ipaasCompanyId,
      name: `Outdoor Supply Company number ${index}`,
      vars: { region: 'eu' },
    }));
    expect(Buffer.byteLength(JSON.stringify({ subscribers: rows }))).toBeGreaterThan(1024 * 1024);
    const started = performance.now();
    const job = await submit(rows);
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(
      `provisioning: submitted 10,000 rows (10,000 new subscribers, 30,000 steps) in ${seconds.toFixed(2)} s\n`,
    );
    expect(job).toMatchObject({ counts: { total: 10_000, pending: 10_000 } });
    expect(await count('provisioning_steps')).toBeGreaterThanOrEqual(30_000);
    // Cancelling 10,000 items is one statement.
    const cancelled = await t.http.post(`/v1/provisioning/jobs/${job.id as string}/cancel`).expect(200);
    expect((cancelled.body as { counts: { cancelled: number } }).counts.cancelled).toBeGreaterThan(9_000);
    await waitForEnd(t.http, job.id as string);
  }, 60000);
});

describe('provisioning jobs against the emulator', () => {
  let h: VendorHarness;
  let templateId: string;
  const companies: string[] = [];

  beforeAll(async () => {
    h = await startVendorHarness({
      env: { PROVISIONING_POLL_MS: '20' },
      emulator: { seed: { subscribers: 24, pendingRequests: 0 } },
    });
    templateId = await createTemplate(h.t.http, {
      users: [{ email: 'ops@{{subscriber.ipaasCompanyId}}.test', firstName: 'Op', lastName: 'Erator' }],
      customers: [{ email: 'buyer@example.test', firstName: 'Bea', lastName: 'Buyer' }],
    });
    for (let index = 0; index < 22; index += 1) {
      companies.push((await h.register(index)).id);
    }
  });

  afterAll(async () => {
    await h.close();
  });

  const run = async (body: Json): Promise<Json> => {
    const job = (
      await h.t.http
        .post('/v1/provisioning/jobs')
        .send({ templateId, ...body })
        .expect(201)
    ).body as Json;
    return waitForEnd(h.t.http, job.id as string);
  };
  const rows = (ids: string[]) => ids.map((subscriberId) => ({ subscriberId }));
  const steps = async (jobId: string): Promise<Json[][]> =>
    (
      (await h.t.http.get(`/v1/provisioning/jobs/${jobId}/items?pageSize=500`).expect(200)).body as {
        steps: Json[];
      }[]
    ).map((item) => item.steps);

  it('applies a template to 20 companies: succeeded, nothing created twice, a re-run changes nothing', async () => {
    const first = await run({ mode: 'apply', subscribers: rows(companies.slice(0, 20)) });
    expect(first).toMatchObject({ state: 'succeeded', counts: { succeeded: 20 } });
    expect(h.emulator.control.stats().duplicateCreates).toBe(0);
    const again = await run({ mode: 'apply', subscribers: rows(companies.slice(0, 20)) });
    expect(again).toMatchObject({ state: 'succeeded' });
    expect((await steps(again.id as string)).flat().map((step) => step.resultAction)).toEqual(
      Array.from({ length: 40 }, () => 'noop'),
    );
    expect(h.emulator.control.stats().duplicateCreates).toBe(0);
  });

  it('plan → apply(planId): the applied actions are the planned ones; a change in between is flagged as drift', async () => {
    const [fresh, done, drifting] = [companies[20], companies[0], companies[21]];
    const plan = await run({ mode: 'plan', subscribers: rows([fresh, done, drifting]) });
    expect(plan).toMatchObject({ state: 'succeeded', plan: { create: 4, noop: 2, update: 0 } });
    const planned = await steps(plan.id as string);
    // A plan's steps are `planned` (read, never applied), and the reads are counted: each company's user list
    // and customer lookup (issue 14).
    expect(planned.flat().map((step) => step.state)).toEqual(Array.from({ length: 6 }, () => 'planned'));
    expect(planned.flat().every((step) => (step.vendorCalls as number) >= 1)).toBe(true);
    expect(plan.vendorCalls).toBe(
      planned.flat().reduce((sum, step) => sum + (step.vendorCalls as number), 0),
    );

    // Meanwhile someone creates the drifting company's customer with another last name.
    const otherTemplate = await createTemplate(h.t.http, {
      customers: [{ email: 'buyer@example.test', firstName: 'Bea', lastName: 'Someone Else' }],
    });
    const meddling = (
      await h.t.http
        .post('/v1/provisioning/jobs')
        .send({ templateId: otherTemplate, mode: 'apply', subscribers: rows([drifting]) })
        .expect(201)
    ).body as Json;
    expect(await waitForEnd(h.t.http, meddling.id as string)).toMatchObject({ state: 'succeeded' });

    const applied = await run({ mode: 'apply', planId: plan.id });
    expect(applied).toMatchObject({ state: 'succeeded', drifted: 1 });
    const results = await steps(applied.id as string);
    const toPast = { create: 'created', update: 'updated', noop: 'noop' } as Record<string, string>;
    // Equivalence: for every company not changed in between, each step did what the plan said.
    expect(
      results
        .slice(0, 2)
        .flat()
        .map((step) => step.resultAction),
    ).toEqual(
      planned
        .slice(0, 2)
        .flat()
        .map((step) => toPast[step.plannedAction as string]),
    );
    expect(results[2].map((step) => [step.key, step.plannedAction, step.resultAction, step.drift])).toEqual([
      [expect.stringMatching(/^user:/) as string, 'create', 'created', false],
      ['customer:buyer@example.test', 'create', 'updated', true],
    ]);
    expect(h.emulator.control.stats().duplicateCreates).toBe(0);
  });
});
