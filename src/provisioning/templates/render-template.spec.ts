import { renderTemplate, type RenderContext } from './render-template';
import type { TemplateSpec } from './template-spec';

const SUBSCRIBER: RenderContext['subscriber'] = {
  name: 'Acme Outdoor',
  ipaasCompanyId: 'c0ffee',
  externalRef: 'CRM-42',
};

const render = (spec: TemplateSpec, vars: Record<string, string> = {}, subscriber = SUBSCRIBER) =>
  renderTemplate(spec, { subscriber, vars });

function renderedOf(result: ReturnType<typeof renderTemplate>): Record<string, unknown> {
  if ('errors' in result) {
    throw new Error(`unexpected errors: ${JSON.stringify(result.errors)}`);
  }
  return result.rendered;
}

function errorsOf(result: ReturnType<typeof renderTemplate>): { field: string; message: string }[] {
  if (!('errors' in result)) {
    throw new Error('expected errors');
  }
  return result.errors;
}

const customer = (fields: Record<string, string>): TemplateSpec => ({
  customers: [{ email: 'buyer@example.test', firstName: 'Bea', lastName: 'Buyer', ...fields }],
});

describe('renderTemplate', () => {
  it('substitutes subscriber fields and variables, with or without spaces inside the braces', () => {
    const spec: TemplateSpec = {
      variables: [{ name: 'region', required: true }],
      users: [
        {
          email: 'ops@{{subscriber.ipaasCompanyId}}.example.test',
          firstName: '{{ subscriber.name }}',
          lastName: '{{   vars.region   }}-{{ subscriber.externalRef }}',
        },
      ],
    };
    expect(renderedOf(render(spec, { region: 'eu' }))).toEqual({
      users: [{ email: 'ops@c0ffee.example.test', firstName: 'Acme Outdoor', lastName: 'eu-CRM-42' }],
    });
  });

  it('applies defaults, leaves optional variables without a default empty, and drops the declarations', () => {
    const spec: TemplateSpec = {
      variables: [{ name: 'tier', default: 'standard' }, { name: 'suffix' }],
      persistentData: [{ subscription: 'all', name: 'Tier', value: '{{ vars.tier }}{{ vars.suffix }}' }],
    };
    expect(renderedOf(render(spec))).toEqual({
      persistentData: [{ subscription: 'all', name: 'Tier', value: 'standard' }],
    });
    expect(renderedOf(render(spec, { tier: 'gold', suffix: '+' }))).toEqual({
      persistentData: [{ subscription: 'all', name: 'Tier', value: 'gold+' }],
    });
  });

  it('names a missing required variable, an undeclared one and an unset subscriber field', () => {
    const spec: TemplateSpec = {
      variables: [{ name: 'region', required: true }],
      ...customer({ lastName: '{{ vars.region }}', companyName: '{{ subscriber.externalRef }}' }),
    };
    expect(errorsOf(render(spec, { colour: 'red' }, { ...SUBSCRIBER, externalRef: null }))).toEqual([
      { field: 'vars.region', message: 'is required by the template' },
      { field: 'vars.colour', message: 'is not a variable of this template' },
      {
        field: 'subscriber.externalRef',
        message: 'is not set for this subscriber (used by spec.customers.0.companyName)',
      },
    ]);
  });

  it('a required variable with a default is satisfied by the default', () => {
    const spec: TemplateSpec = {
      variables: [{ name: 'region', required: true, default: 'us' }],
      ...customer({ companyName: '{{ vars.region }}' }),
    };
    expect(renderedOf(render(spec))).toMatchObject({ customers: [{ companyName: 'us' }] });
  });

  it('inserts values literally: no second expansion, no replacement patterns, no evaluation', () => {
    const spec: TemplateSpec = {
      variables: [{ name: 'a' }, { name: 'b' }],
      ...customer({ firstName: '{{ vars.a }}', lastName: '{{ vars.b }}' }),
    };
    const rendered = renderedOf(render(spec, { a: '$& $1 $` ${process.exit()}', b: '`${1+1}`' }));
    expect(rendered).toMatchObject({
      customers: [{ firstName: '$& $1 $` ${process.exit()}', lastName: '`${1+1}`' }],
    });

    const nested = render(spec, { a: '{{ subscriber.name }}', b: 'x }}' });
    expect(errorsOf(nested)).toEqual([
      { field: 'vars.a', message: 'must not contain {{ or }}' },
      { field: 'vars.b', message: 'must not contain {{ or }}' },
    ]);
  });

  it('validates the rendered output again: an email must still be an email, lengths still hold', () => {
    const spec: TemplateSpec = {
      variables: [{ name: 'user' }, { name: 'long' }],
      users: [{ email: '{{ vars.user }}@example.test', firstName: '{{ vars.long }}', lastName: 'L' }],
    };
    const errors = errorsOf(render(spec, { user: 'two words', long: 'x'.repeat(101) }));
    expect(errors.map(({ field }) => field).sort()).toEqual(['spec.users.0.email', 'spec.users.0.firstName']);
    expect(errors.find(({ field }) => field === 'spec.users.0.email')?.message).toContain(
      '"two words@example.test"',
    );
  });

  it('catches keys and role references that only clash once rendered', () => {
    const spec: TemplateSpec = {
      variables: [{ name: 'first' }, { name: 'second' }, { name: 'role' }],
      users: [
        { email: '{{ vars.first }}@example.test', firstName: 'A', lastName: 'B', roles: ['{{ vars.role }}'] },
        { email: '{{ vars.second }}@example.test', firstName: 'C', lastName: 'D' },
      ],
    };
    expect(errorsOf(render(spec, { first: 'same', second: 'SAME', role: 'Auditor' }))).toEqual([
      { field: 'spec.users.1.email', message: 'duplicates spec.users.0.email' },
      { field: 'spec.users.0.roles.0', message: expect.stringContaining('Auditor') },
    ]);
    expect(renderedOf(render(spec, { first: 'one', second: 'two', role: 'Viewer' }))).toMatchObject({
      users: [{ roles: ['Viewer'] }, {}],
    });
  });

  it('leaves the template untouched and gives the same output for the same input', () => {
    const spec: TemplateSpec = {
      variables: [{ name: 'v', default: 'd' }],
      ...customer({ companyName: '{{ vars.v }}' }),
    };
    const copy = structuredClone(spec);
    expect(render(spec)).toEqual(render(spec));
    expect(spec).toEqual(copy);
  });
});
