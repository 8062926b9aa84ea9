import { mapEvent, valueAt } from './webhook-mapping';
import type { WebhookRule } from './webhook.types';

const RULES: WebhookRule[] = [
  {
    eventType: 'customer.signed_up',
    action: 'onboard',
    templateId: '00000000-0000-4000-8000-000000000001',
    subscriber: { ipaasCompanyId: 'data.company.id', name: 'data.company.name', externalRef: 'data.crm' },
    vars: { region: 'data.region' },
  },
  { eventType: 'customer.cancelled', action: 'offboard', subscriber: { ipaasCompanyId: 'data.company.id' } },
];

describe('webhook payload mapping', () => {
  it('reads dot paths, own properties only', () => {
    expect(valueAt({ a: { b: [1, 2] } }, 'a.b.1')).toBe(2);
    expect(valueAt({ a: {} }, 'a.toString')).toBeUndefined();
    expect(valueAt({ a: null }, 'a.b')).toBeUndefined();
  });

  it('maps the rule of the event type: subscriber fields (numbers as text) and variables', () => {
    const payload = {
      type: 'customer.signed_up',
      data: { company: { id: 4711, name: 'Acme' }, region: 'eu', crm: 'CRM-1' },
    };
    expect(mapEvent(payload, 'type', RULES)).toEqual({
      mapped: {
        eventType: 'customer.signed_up',
        rule: RULES[0],
        subscriber: { ipaasCompanyId: '4711', name: 'Acme', externalRef: 'CRM-1' },
        vars: { region: 'eu' },
      },
    });
  });

  it.each([
    ['not an object', [1, 2], 'payload'],
    ['no event type', { data: {} }, 'type'],
    ['an event type without a rule', { type: 'customer.updated' }, 'type'],
    ['a missing company id', { type: 'customer.cancelled', data: {} }, 'data.company.id'],
    ['a missing variable', { type: 'customer.signed_up', data: { company: { id: 'c-1' } } }, 'data.region'],
    [
      'a company id a job row refuses',
      { type: 'customer.cancelled', data: { company: { id: 'has spaces' } } },
      'ipaasCompanyId',
    ],
  ])('refuses %s', (_name, payload, field) => {
    const result = mapEvent(payload, 'type', RULES);
    expect('problems' in result && result.problems.map((problem) => problem.field)).toContain(field);
  });
});
