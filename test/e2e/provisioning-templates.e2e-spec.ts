import { DataSource } from 'typeorm';

import { AuditService } from '../../src/audit/audit.service';
import { startTestApp, type TestApp } from '../utils/test-app';

interface TemplateBody {
  id: string;
  name: string;
  version: number;
  description: string | null;
  spec: Record<string, unknown>;
  createdAt: string;
  createdBy: string;
}

interface ProblemBody {
  code: string;
  errors?: { field: string; message: string }[];
}

const SPEC = {
  variables: [
    { name: 'region', required: true },
    { name: 'tier', default: 'standard' },
  ],
  roles: [{ name: 'Store Manager', description: 'Runs a store', permissions: ['Customer', 'Subscription'] }],
  users: [
    {
      email: 'manager@{{ subscriber.ipaasCompanyId }}.example.test',
      firstName: 'Store',
      lastName: 'Manager',
      roles: ['Store Manager', 'Viewer'],
    },
  ],
  persistentData: [{ subscription: 'all', name: 'Region', value: '{{ vars.region }}/{{vars.tier}}' }],
  customers: [
    {
      email: 'buyer@example.test',
      firstName: 'Bea',
      lastName: 'Buyer',
      companyName: '{{ subscriber.name }}',
    },
  ],
};

describe('provisioning templates over HTTP', () => {
  let t: TestApp;
  let sequence = 0;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  const create = async (spec: object = SPEC, fields: object = {}): Promise<TemplateBody> => {
    sequence += 1;
    const response = await t.http
      .post('/v1/provisioning/templates')
      .send({ name: `onboarding-${sequence}`, description: 'Standard onboarding', spec, ...fields })
      .expect(201);
    return response.body as TemplateBody;
  };

  const refused = async (body: object): Promise<{ field: string; message: string }[]> => {
    const response = await t.http.post('/v1/provisioning/templates').send(body).expect(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = response.body as ProblemBody;
    expect(problem.code).toBe('VALIDATION_FAILED');
    return problem.errors ?? [];
  };

  const fieldsOf = (errors: { field: string }[]): string[] =>
    [...new Set(errors.map(({ field }) => field))].sort();

  describe('create, read and versions', () => {
    it('saves version 1 with the spec as sent, the saver and an audit row', async () => {
      const created = await create();
      expect(created).toEqual({
        id: expect.any(String),
        name: `onboarding-${sequence}`,
        version: 1,
        description: 'Standard onboarding',
        spec: SPEC,
        createdAt: expect.any(String),
        createdBy: 'test admin',
      });
      expect((await t.http.get(`/v1/provisioning/templates/${created.id}`).expect(200)).body).toEqual(
        created,
      );
      await t.app.get(AuditService).flush();
      const [row] = await t.app
        .get(DataSource)
        .query<{ outcome: string }[]>('SELECT outcome FROM audit_events WHERE action = $1', [
          'provisioning.template.create',
        ]);
      expect(row?.outcome).toBe('success');
    });

    it('PUT saves a new version under the same name and keeps the old one unchanged', async () => {
      const first = await create();
      const changed = {
        ...SPEC,
        customers: [{ email: 'other@example.test', firstName: 'O', lastName: 'Ther' }],
      };
      const second = (
        await t.http.put(`/v1/provisioning/templates/${first.id}`).send({ spec: changed }).expect(200)
      ).body as TemplateBody;
      expect(second).toMatchObject({
        name: first.name,
        version: 2,
        description: 'Standard onboarding',
        spec: changed,
      });
      expect(second.id).not.toBe(first.id);
      expect((await t.http.get(`/v1/provisioning/templates/${first.id}`).expect(200)).body).toEqual(first);

      const third = (
        await t.http
          .put(`/v1/provisioning/templates/${second.id}`)
          .send({ description: 'Version three', spec: SPEC })
          .expect(200)
      ).body as TemplateBody;
      expect(third).toMatchObject({ version: 3, description: 'Version three' });

      const versions = await t.http
        .get(`/v1/provisioning/templates/${first.id}/versions`)
        .query({ pageSize: 2 })
        .expect(200);
      expect((versions.body as TemplateBody[]).map(({ version }) => version)).toEqual([3, 2]);
      expect(JSON.parse(versions.headers['x-pagination'])).toMatchObject({
        total_Count: 3,
        total_Pages: 2,
        next_Page: 'Yes',
      });

      const latest = (await t.http.get('/v1/provisioning/templates').query({ pageSize: 500 }).expect(200))
        .body as TemplateBody[];
      expect(latest.filter(({ name }) => name === first.name).map(({ version }) => version)).toEqual([3]);
      expect(new Set(latest.map(({ name }) => name)).size).toBe(latest.length);
    });

    it('refuses to update a version that is not the latest, and a second template of the same name', async () => {
      const first = await create();
      await t.http.put(`/v1/provisioning/templates/${first.id}`).send({ spec: SPEC }).expect(200);
      const stale = await t.http
        .put(`/v1/provisioning/templates/${first.id}`)
        .send({ spec: SPEC })
        .expect(409);
      expect((stale.body as ProblemBody).code).toBe('CONFLICT');
      const duplicate = await t.http
        .post('/v1/provisioning/templates')
        .send({ name: first.name, spec: SPEC })
        .expect(409);
      expect((duplicate.body as ProblemBody).code).toBe('CONFLICT');
    });

    it('answers 404 for an unknown template', async () => {
      const missing = '00000000-0000-4000-8000-000000000000';
      await t.http.get(`/v1/provisioning/templates/${missing}`).expect(404);
      await t.http.get(`/v1/provisioning/templates/${missing}/versions`).expect(404);
      await t.http.put(`/v1/provisioning/templates/${missing}`).send({ spec: SPEC }).expect(404);
    });
  });

  describe('validation on save (nothing is stored when it fails)', () => {
    it('lists every invalid field of the nested spec', async () => {
      const errors = await refused({
        name: 'bad-shapes',
        spec: {
          roles: [
            { name: '', permissions: [] },
            { name: 'Ok', permissions: ['x'.repeat(101)] },
          ],
          users: [{ email: 'not-an-email', firstName: 'A' }],
          persistentData: [{ subscription: 'some', name: 'N', value: 'v' }],
          customers: Array.from({ length: 51 }, (_unused, index) => ({
            email: `c${index}@example.test`,
            firstName: 'C',
            lastName: 'D',
          })),
          relationship: { approveRequest: 'yes', roleShares: [{ roleId: 0 }] },
          variables: [{ name: '1bad' }],
        },
      });
      expect(fieldsOf(errors)).toEqual([
        'spec.customers',
        'spec.persistentData.0.subscription',
        'spec.relationship.approveRequest',
        'spec.relationship.roleShares.0.roleId',
        'spec.roles.0.name',
        'spec.roles.0.permissions',
        'spec.roles.1.permissions',
        'spec.users.0.email',
        'spec.users.0.lastName',
        'spec.variables.0.name',
      ]);
      const list = await t.http.get('/v1/provisioning/templates').query({ pageSize: 500 }).expect(200);
      expect((list.body as TemplateBody[]).map(({ name }) => name)).not.toContain('bad-shapes');
    });

    it('checks placeholders, role references, unique keys and paired fields', async () => {
      const errors = await refused({
        name: 'bad-semantics',
        spec: {
          variables: [{ name: 'region' }, { name: 'region' }],
          roles: [
            { name: 'Ops', permissions: ['User'] },
            { name: 'ops', permissions: ['Role'] },
            { name: 'Administrator', permissions: ['User'] },
          ],
          users: [
            { email: 'a@example.test', firstName: '{{ vars.missing }}', lastName: 'L', roles: ['Auditor'] },
            {
              email: 'A@Example.test',
              firstName: '{{ subscriber.password }}',
              lastName: 'L {{ oops',
              roles: ['viewer'],
            },
          ],
          customers: [{ email: 'c@example.test', firstName: 'C', lastName: 'D', externalId: 'X-1' }],
          persistentData: [
            { subscription: 7, name: 'Region', value: '{{ vars.region }}' },
            { subscription: 7, name: 'Region', value: 'eu' },
          ],
        },
      });
      expect(errors).toEqual(
        expect.arrayContaining([
          { field: 'spec.users.0.firstName', message: expect.stringMatching(/vars\.missing .*not declared/) },
          {
            field: 'spec.users.1.firstName',
            message: expect.stringMatching(/subscriber\.password .*not a known/),
          },
          { field: 'spec.users.1.lastName', message: expect.stringMatching(/unbalanced/) },
          { field: 'spec.users.1.email', message: 'duplicates spec.users.0.email' },
          { field: 'spec.users.0.roles.0', message: expect.stringMatching(/Auditor/) },
          { field: 'spec.roles.1.name', message: 'duplicates spec.roles.0.name' },
          { field: 'spec.roles.2.name', message: expect.stringMatching(/built-in/) },
          { field: 'spec.variables.1.name', message: 'duplicates spec.variables.0.name' },
          { field: 'spec.persistentData.1.name', message: 'duplicates spec.persistentData.0.name' },
          { field: 'spec.customers.0.externalSystemId', message: expect.stringMatching(/go together/) },
        ]),
      );
      // A built-in role is referenced case-insensitively, like the vendor compares names.
      expect(fieldsOf(errors)).not.toContain('spec.users.1.roles.0');
    });

    it('refuses a template that does nothing', async () => {
      const errors = await refused({ name: 'empty', spec: { relationship: { approveRequest: false } } });
      expect(fieldsOf(errors)).toEqual(['spec']);
    });

    it('refuses fields the caller may not set (mass assignment), at the top and inside the spec', async () => {
      const errors = await refused({
        name: 'mass-assignment',
        version: 7,
        createdBy: 'someone else',
        id: '00000000-0000-4000-8000-000000000000',
        spec: { users: [{ email: 'a@example.test', firstName: 'A', lastName: 'B', password: 'hunter2!' }] },
      });
      expect(fieldsOf(errors)).toEqual(['createdBy', 'id', 'spec.users.0.password', 'version']);
      const first = await create();
      const put = await t.http
        .put(`/v1/provisioning/templates/${first.id}`)
        .send({ name: 'renamed', spec: SPEC })
        .expect(400);
      expect(fieldsOf((put.body as ProblemBody).errors ?? [])).toEqual(['name']);
    });
  });

  describe('roles', () => {
    it('lets a viewer read and refuses it writes; an operator writes', async () => {
      const template = await create();
      const viewer = await t.as('viewer');
      await viewer.get('/v1/provisioning/templates').expect(200);
      await viewer.get(`/v1/provisioning/templates/${template.id}`).expect(200);
      await viewer.get(`/v1/provisioning/templates/${template.id}/versions`).expect(200);
      await viewer.post('/v1/provisioning/templates').send({ name: 'by-viewer', spec: SPEC }).expect(403);
      await viewer.put(`/v1/provisioning/templates/${template.id}`).send({ spec: SPEC }).expect(403);

      const operator = await t.as('operator');
      const created = await operator
        .post('/v1/provisioning/templates')
        .send({ name: 'by-operator', spec: SPEC })
        .expect(201);
      expect((created.body as TemplateBody).createdBy).toBe('test operator');
      await operator.put(`/v1/provisioning/templates/${template.id}`).send({ spec: SPEC }).expect(200);
    });
  });
});
