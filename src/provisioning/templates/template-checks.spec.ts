import { checkPlaceholders, checkSemantics } from './template-checks';
import type { TemplateSpec } from './template-spec';

describe('checkPlaceholders', () => {
  it('accepts subscriber fields and declared variables, and ignores variable defaults', () => {
    const spec: TemplateSpec = {
      variables: [{ name: 'region', default: '{{ literal text }}' }],
      customers: [
        {
          email: 'a@{{subscriber.ipaasCompanyId}}.test',
          firstName: '{{ subscriber.name }}',
          lastName: '{{vars.region}}',
        },
      ],
    };
    expect(checkPlaceholders(spec, 'spec')).toEqual([]);
  });

  it('names unknown paths, undeclared variables and stray braces', () => {
    const spec: TemplateSpec = {
      customers: [
        {
          email: 'a@b.test',
          firstName: '{{ vars.region }}',
          lastName: '{{ process.env.X }}',
          companyName: 'x }} y',
        },
      ],
    };
    expect(checkPlaceholders(spec, 'spec')).toEqual([
      {
        field: 'spec.customers.0.firstName',
        message: '{{ vars.region }} uses a variable not declared in variables',
      },
      { field: 'spec.customers.0.lastName', message: expect.stringContaining('not a known variable') },
      { field: 'spec.customers.0.companyName', message: expect.stringContaining('unbalanced') },
    ]);
  });
});

describe('checkSemantics', () => {
  const user = (email: string, roles?: string[]) => ({ email, firstName: 'F', lastName: 'L', roles });

  it('accepts template roles and the built-in ones, compared case-insensitively', () => {
    const spec: TemplateSpec = {
      roles: [{ name: 'Store Manager', permissions: ['Customer'] }],
      users: [user('a@b.test', ['store manager', 'ADMINISTRATOR', 'Viewer'])],
    };
    expect(checkSemantics(spec, 'spec', false)).toEqual([]);
  });

  it('skips a role reference holding a placeholder until it is rendered', () => {
    const spec: TemplateSpec = { users: [user('a@b.test', ['{{ vars.role }}'])] };
    expect(checkSemantics(spec, 'spec', false)).toEqual([]);
    expect(checkSemantics(spec, 'spec', true)).toHaveLength(1);
  });

  it('reports duplicates against the first entry of the key', () => {
    const spec: TemplateSpec = {
      relationship: { roleShares: [{ roleId: 3 }, { roleId: 3 }] },
      customers: [
        { email: 'x@b.test', firstName: 'F', lastName: 'L' },
        { email: 'y@b.test', firstName: 'F', lastName: 'L' },
        { email: ' X@B.test', firstName: 'F', lastName: 'L' },
      ],
      persistentData: [
        { subscription: 'all', name: 'N', value: '1' },
        { subscription: 5, name: 'N', value: '2' },
        { subscription: 6, name: 'M', value: '3' },
        { subscription: 5, name: 'M', value: '4' },
      ],
    };
    expect(checkSemantics(spec, 'spec', false)).toEqual([
      {
        field: 'spec.relationship.roleShares.1.roleId',
        message: 'duplicates spec.relationship.roleShares.0.roleId',
      },
      { field: 'spec.customers.2.email', message: 'duplicates spec.customers.0.email' },
      // "all" covers subscription 5 too.
      { field: 'spec.persistentData.1.name', message: 'duplicates spec.persistentData.0.name' },
    ]);
  });

  it('refuses an empty template, a redefined built-in role and a lone external id', () => {
    expect(checkSemantics({ variables: [{ name: 'v' }] }, 'spec', false)).toEqual([
      { field: 'spec', message: expect.stringContaining('does nothing') },
    ]);
    const spec: TemplateSpec = {
      roles: [{ name: 'viewer', permissions: ['Customer'] }],
      customers: [{ email: 'x@b.test', firstName: 'F', lastName: 'L', externalSystemId: 4 }],
    };
    expect(checkSemantics(spec, 'spec', false).map(({ field }) => field)).toEqual([
      'spec.roles.0.name',
      'spec.customers.0.externalSystemId',
    ]);
  });
});
