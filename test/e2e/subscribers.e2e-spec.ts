import { DataSource } from 'typeorm';

import { CredentialsService } from '../../src/credentials/credentials.service';
import { SubscriberEntity } from '../../src/subscribers/subscriber.entity';
import type { TestApp } from '../utils/test-app';
import { startVendorHarness, type VendorHarness } from '../utils/vendor-harness';

interface SubscriberBody {
  id: string;
  ipaasCompanyId: string;
  name: string;
  status: string;
  healthStatus: string;
  credentialStatus: string;
  tags: string[];
  externalRef: string | null;
  notes: string | null;
  createdAt: string;
  updatedAt: string;
}

describe('subscriber registry over HTTP', () => {
  let harness: VendorHarness;
  let t: TestApp;

  beforeAll(async () => {
    // Registration checks the company at iPaaS.com: each test registers the next company the emulator serves.
    harness = await startVendorHarness({ emulator: { seed: { subscribers: 60, pendingRequests: 0 } } });
    t = harness.t;
  });

  afterAll(async () => {
    await harness.close();
  });

  let sequence = 0;
  const create = async (fields: Record<string, unknown> = {}): Promise<SubscriberBody> => {
    sequence += 1;
    const response = await t.http
      .post('/v1/subscribers')
      .send({
        ipaasCompanyId: harness.emulator.control.subscriberCompanyIds()[sequence],
        name: `Company ${sequence}`,
        ...fields,
      })
      .expect(201);
    return response.body as SubscriberBody;
  };

  const list = async (query: Record<string, string | number>): Promise<SubscriberBody[]> =>
    (
      await t.http
        .get('/v1/subscribers')
        .query({ pageSize: 500, ...query })
        .expect(200)
    ).body as SubscriberBody[];

  const setRow = (id: string, patch: Partial<SubscriberEntity>): Promise<unknown> =>
    t.app.get(DataSource).getRepository(SubscriberEntity).update({ id }, patch);

  describe('create and update', () => {
    it('registers a company as active with tags (deduplicated, sorted), external reference and notes', async () => {
      const created = await create({
        name: 'Acme Outdoor',
        tags: ['retail', 'eu-west', 'retail'],
        externalRef: 'CRM-0001',
        notes: 'Signed in March',
      });
      expect(created).toMatchObject({
        name: 'Acme Outdoor',
        status: 'active',
        healthStatus: 'unknown',
        credentialStatus: 'none',
        tags: ['eu-west', 'retail'],
        externalRef: 'CRM-0001',
        notes: 'Signed in March',
      });
      expect((await t.http.get(`/v1/subscribers/${created.id}`).expect(200)).body).toEqual(created);
    });

    it('updates name, tags, external reference and notes; null clears the reference and the notes', async () => {
      const created = await create({ tags: ['a', 'b'], externalRef: 'CRM-0100', notes: 'old' });
      const patched = await t.http
        .patch(`/v1/subscribers/${created.id}`)
        .send({ name: 'Renamed Co', tags: ['b', 'c'], externalRef: null, notes: null })
        .expect(200);
      expect(patched.body).toMatchObject({
        id: created.id,
        ipaasCompanyId: created.ipaasCompanyId,
        name: 'Renamed Co',
        tags: ['b', 'c'],
        externalRef: null,
        notes: null,
        status: 'active',
      });
      const untouched = await t.http.patch(`/v1/subscribers/${created.id}`).send({}).expect(200);
      expect(untouched.body).toMatchObject({ name: 'Renamed Co', tags: ['b', 'c'] });
      const cleared = await t.http.patch(`/v1/subscribers/${created.id}`).send({ tags: [] }).expect(200);
      expect(cleared.body.tags).toEqual([]);
      await t.http.patch(`/v1/subscribers/${created.id}`).send({ name: null }).expect(400);
      await t.http
        .patch('/v1/subscribers/00000000-0000-4000-8000-000000000000')
        .send({ name: 'Nobody' })
        .expect(404);
    });

    it.each([
      ['status', 'active'],
      ['healthStatus', 'healthy'],
      ['id', '00000000-0000-4000-8000-000000000001'],
      ['role', 'admin'],
      ['credentialStatus', 'verified'],
      ['vendorRequestId', 5],
    ])('refuses mass assignment of %s on create and on update (400)', async (field, value) => {
      sequence += 1;
      const refusedCreate = await t.http
        .post('/v1/subscribers')
        .send({ ipaasCompanyId: `mass-${sequence}`, name: 'Mass', [field]: value })
        .expect(400);
      expect(refusedCreate.body.code).toBe('VALIDATION_FAILED');
      expect(refusedCreate.body.errors).toEqual([{ field, message: `property ${field} should not exist` }]);
      expect(await list({ q: `mass-${sequence}` })).toEqual([]);

      const existing = await create();
      const refusedUpdate = await t.http
        .patch(`/v1/subscribers/${existing.id}`)
        .send({ name: 'Changed', [field]: value })
        .expect(400);
      expect(refusedUpdate.body.errors).toEqual([{ field, message: `property ${field} should not exist` }]);
      expect((await t.http.get(`/v1/subscribers/${existing.id}`).expect(200)).body).toEqual(existing);
    });

    it('refuses changing the company id on update', async () => {
      const existing = await create();
      await t.http.patch(`/v1/subscribers/${existing.id}`).send({ ipaasCompanyId: 'other' }).expect(400);
    });

    it.each([
      ['upper case', ['Retail']],
      ['too long', ['x'.repeat(41)]],
      ['leading dash', ['-retail']],
      ['a space', ['eu west']],
      ['not a string', [42]],
      ['more than 20', Array.from({ length: 21 }, (_, index) => `tag-${index}`)],
      ['not an array', 'retail'],
      ['null', null],
    ])('refuses tags with %s (400)', async (_case, tags) => {
      const response = await t.http
        .post('/v1/subscribers')
        .send({ ipaasCompanyId: 'tag-check', name: 'Tags', tags })
        .expect(400);
      expect(response.body.errors[0].field).toBe('tags');
    });

    it('accepts exactly 20 tags and 2000 characters of notes, and refuses 2001', async () => {
      const tags = Array.from({ length: 20 }, (_, index) => `tag-${String(index).padStart(2, '0')}`);
      const created = await create({ tags, notes: 'n'.repeat(2000) });
      expect(created.tags).toEqual(tags);
      await t.http
        .patch(`/v1/subscribers/${created.id}`)
        .send({ notes: 'n'.repeat(2001) })
        .expect(400);
    });
  });

  describe('uniqueness', () => {
    it('answers 409 CONFLICT naming ipaasCompanyId for a company already registered', async () => {
      const existing = await create();
      const duplicate = await t.http
        .post('/v1/subscribers')
        .send({ ipaasCompanyId: existing.ipaasCompanyId, name: 'Again' })
        .expect(409);
      expect(duplicate.body).toMatchObject({ code: 'CONFLICT', field: 'ipaasCompanyId' });
    });

    it('keeps external references unique when set, on create and on update, and allows many unset', async () => {
      const first = await create({ externalRef: 'BILL-7' });
      const onCreate = await t.http
        .post('/v1/subscribers')
        .send({ ipaasCompanyId: 'ref-dup', name: 'Dup', externalRef: 'BILL-7' })
        .expect(409);
      expect(onCreate.body).toMatchObject({ code: 'CONFLICT', field: 'externalRef' });
      expect(onCreate.body.detail).toContain('BILL-7');

      const second = await create();
      const onUpdate = await t.http
        .patch(`/v1/subscribers/${second.id}`)
        .send({ externalRef: 'BILL-7' })
        .expect(409);
      expect(onUpdate.body).toMatchObject({ code: 'CONFLICT', field: 'externalRef' });
      // Setting a subscriber's own reference again is no conflict.
      await t.http.patch(`/v1/subscribers/${first.id}`).send({ externalRef: 'BILL-7' }).expect(200);
      // Two subscribers without a reference.
      await create({ externalRef: null });
      await create();
      await t.http
        .post('/v1/subscribers')
        .send({ ipaasCompanyId: 'ref-x', name: 'X', externalRef: ' padded' })
        .expect(400);
    });
  });

  describe('list', () => {
    let alpha: SubscriberBody;
    let bravo: SubscriberBody;
    let charlie: SubscriberBody;
    let delta: SubscriberBody;

    beforeAll(async () => {
      await t.app.get(DataSource).getRepository(SubscriberEntity).createQueryBuilder().delete().execute();
      alpha = await create({ name: 'alpha Traders', tags: ['retail', 'eu'], externalRef: 'ERP-100%' });
      bravo = await create({ name: 'Bravo_Supplies', tags: ['retail'] });
      charlie = await create({ name: 'Charlie Goods', tags: ['wholesale'], externalRef: 'ERP-200' });
      delta = await create({ name: 'Delta Mart' });
      await t.http.post(`/v1/subscribers/${charlie.id}/suspend`).expect(200);
      await setRow(delta.id, { healthStatus: 'degraded' });
      const credentials = t.app.get(CredentialsService);
      await credentials.saveApiKey(alpha.id, 'alpha-api-key-000000', null);
      await credentials.saveApiKey(bravo.id, 'bravo-api-key-000000', new Date());
      await credentials.saveApiKey(charlie.id, 'charlie-api-key-0000', new Date());
      await credentials.markCredentialInvalid(charlie.id, 'refused');
    });

    const names = (items: SubscriberBody[]): string[] => items.map((item) => item.name);

    it('filters by status, tag, health and credential status', async () => {
      expect(names(await list({ status: 'suspended' }))).toEqual(['Charlie Goods']);
      expect(names(await list({ status: 'active', sort: 'name' }))).toEqual([
        'alpha Traders',
        'Bravo_Supplies',
        'Delta Mart',
      ]);
      expect(names(await list({ tag: 'retail', sort: 'name' }))).toEqual(['alpha Traders', 'Bravo_Supplies']);
      expect(names(await list({ health: 'degraded' }))).toEqual(['Delta Mart']);
      expect(names(await list({ health: 'unknown', sort: 'name' }))).toHaveLength(3);
      expect(names(await list({ credential: 'none' }))).toEqual(['Delta Mart']);
      expect(names(await list({ credential: 'stored' }))).toEqual(['alpha Traders']);
      expect(names(await list({ credential: 'verified' }))).toEqual(['Bravo_Supplies']);
      expect(names(await list({ credential: 'invalid' }))).toEqual(['Charlie Goods']);
      expect((await list({ credential: 'invalid' }))[0]?.credentialStatus).toBe('invalid');
      expect(names(await list({ status: 'active', tag: 'retail', credential: 'verified' }))).toEqual([
        'Bravo_Supplies',
      ]);
    });

    it('searches name, company id and external reference case-insensitively, LIKE wildcards literal', async () => {
      expect(names(await list({ q: 'ALPHA' }))).toEqual(['alpha Traders']);
      expect(names(await list({ q: charlie.ipaasCompanyId.toUpperCase() }))).toEqual(['Charlie Goods']);
      expect(names(await list({ q: 'erp-2' }))).toEqual(['Charlie Goods']);
      expect(names(await list({ q: '%' }))).toEqual(['alpha Traders']);
      expect(names(await list({ q: '_' }))).toEqual(['Bravo_Supplies']);
      expect(names(await list({ q: 'a_t' }))).toEqual([]);
      expect(names(await list({ q: '!' }))).toEqual([]);
    });

    it('sorts by name, creation, update and status, ties broken by id', async () => {
      expect(names(await list({ sort: 'name' }))).toEqual([
        'alpha Traders',
        'Bravo_Supplies',
        'Charlie Goods',
        'Delta Mart',
      ]);
      expect(names(await list({ sort: '-name' }))).toEqual([
        'Delta Mart',
        'Charlie Goods',
        'Bravo_Supplies',
        'alpha Traders',
      ]);
      const byCreation =
        (descending: boolean) =>
        (a: SubscriberBody, b: SubscriberBody): number =>
          (descending ? -1 : 1) * a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
      const all = [alpha, bravo, charlie, delta];
      expect((await list({ sort: 'createdAt' })).map((item) => item.id)).toEqual(
        [...all].sort(byCreation(false)).map((item) => item.id),
      );
      expect((await list({ sort: '-createdAt' })).map((item) => item.id)).toEqual(
        [...all].sort(byCreation(true)).map((item) => item.id),
      );
      await setRow(alpha.id, { updatedAt: new Date(Date.parse(alpha.updatedAt) + 3_600_000) });
      expect((await list({ sort: 'updatedAt' })).at(-1)?.id).toBe(alpha.id);
      const byStatus = await list({ sort: 'status' });
      expect(byStatus.map((item) => item.status)).toEqual(['active', 'active', 'active', 'suspended']);
      const activeIds = byStatus.slice(0, 3).map((item) => item.id);
      expect(activeIds).toEqual([...activeIds].sort());
    });

    it('pages with X-Pagination', async () => {
      const response = await t.http
        .get('/v1/subscribers')
        .query({ sort: 'name', pageSize: 3, pageNumber: 2 })
        .expect(200);
      expect(names(response.body as SubscriberBody[])).toEqual(['Delta Mart']);
      expect(JSON.parse(response.headers['x-pagination'])).toEqual({
        total_Count: 4,
        page_Size: 3,
        current_Page: 2,
        total_Pages: 2,
        previous_Page: 'Yes',
        next_Page: 'No',
      });
      const filtered = await t.http.get('/v1/subscribers').query({ tag: 'retail', pageSize: 1 }).expect(200);
      expect(JSON.parse(filtered.headers['x-pagination'])).toMatchObject({
        total_Count: 2,
        total_Pages: 2,
      });
    });

    it.each([
      ['status', 'sleeping'],
      ['health', 'fine'],
      ['credential', 'maybe'],
      ['sort', 'id'],
      ['tag', 'Not A Tag'],
      ['q', ''],
      ['unknown', 'x'],
    ])('refuses %s=%s (400)', async (parameter, value) => {
      const response = await t.http
        .get('/v1/subscribers')
        .query({ [parameter]: value })
        .expect(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
    });

    it('lets a viewer read but not write', async () => {
      const viewer = await t.as('viewer');
      await viewer.get('/v1/subscribers').expect(200);
      await viewer.get(`/v1/subscribers/${alpha.id}`).expect(200);
      await viewer.patch(`/v1/subscribers/${alpha.id}`).send({ name: 'Nope' }).expect(403);
      await viewer.post(`/v1/subscribers/${alpha.id}/suspend`).expect(403);
      await viewer.post('/v1/subscribers/sync').expect(403);
    });
  });

  describe('delete', () => {
    it('forgets only offboarded subscribers', async () => {
      const served = await create({ tags: ['gone-soon'] });
      const refused = await t.http.delete(`/v1/subscribers/${served.id}`).expect(409);
      expect(refused.body).toMatchObject({
        code: 'SUBSCRIBER_STATE_CONFLICT',
        allowedStatuses: ['offboarded'],
      });

      await setRow(served.id, { status: 'offboarded' });
      await t.http.delete(`/v1/subscribers/${served.id}`).expect(204);
      await t.http.get(`/v1/subscribers/${served.id}`).expect(404);
      await t.http.delete(`/v1/subscribers/${served.id}`).expect(404);
      expect(await list({ tag: 'gone-soon' })).toEqual([]);
    });
  });
});
