import type { DomainEvent } from '../common/events/domain-events';
import { auditEntryOf } from './audit-events.listener';

describe('auditEntryOf (domain events → audit entries, all by the system)', () => {
  const cases: [DomainEvent, object][] = [
    [
      { type: 'company_token.minted', subscriberId: 's-1', ipaasCompanyId: 'c-1', via: 'change_company' },
      {
        action: 'company_token.minted',
        subscriberId: 's-1',
        target: 'ipaasCompanyId=c-1',
        outcome: 'success',
        details: { via: 'change_company' },
      },
    ],
    [
      { type: 'company_credential.invalidated', subscriberId: 's-1', reason: 'API key refused' },
      {
        action: 'company_credential.invalidated',
        subscriberId: 's-1',
        details: { reason: 'API key refused' },
      },
    ],
    [
      { type: 'company_quota.exhausted', subscriberId: 's-1', until: new Date('2030-02-01T00:00:00Z') },
      { action: 'company_quota.exhausted', details: { until: '2030-02-01T00:00:00.000Z' } },
    ],
    [
      { type: 'misp_account.logged_in', vendorUserId: 7 },
      { action: 'misp_account.logged_in', details: { vendorUserId: 7 } },
    ],
    [
      {
        type: 'vendor_call.completed',
        operation: 'createCustomer',
        method: 'POST',
        subscriberId: 's-1',
        status: 409,
        outcome: 'failure',
        vendorRequestId: 'v-1',
        error: 'BIZL-1001 duplicate',
      },
      {
        action: 'vendor.createCustomer',
        subscriberId: 's-1',
        outcome: 'failure',
        details: { method: 'POST', status: 409, vendorRequestId: 'v-1', error: 'BIZL-1001 duplicate' },
      },
    ],
    [
      { type: 'subscribers.synced', added: 2, updated: 1, gone: 0, unchanged: 9 },
      { action: 'subscribers.sync', details: { added: 2, updated: 1, gone: 0, unchanged: 9 } },
    ],
  ];

  it.each(cases)('maps %j', (event, expected) => {
    expect(auditEntryOf(event, 'req-9')).toMatchObject({
      actor: { kind: 'system', id: null, label: 'system' },
      requestId: 'req-9',
      ...expected,
    });
  });
});
