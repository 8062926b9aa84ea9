import { accountRun, type AccountingInput, extraAcceptedCreates, type ReportItem } from './accounting';

const item = (over: Partial<ReportItem> & { subscriberId: string }): ReportItem => ({
  ipaasCompanyId: `c-${over.subscriberId}`,
  state: 'succeeded',
  attempts: 1,
  errorCode: null,
  errorMessage: null,
  ...over,
});

const created = (companyId: string, route: string, status = 201) => ({
  method: 'POST',
  route,
  status,
  companyId,
});

function input(over: Partial<AccountingInput> = {}): AccountingInput {
  return {
    submitted: ['a', 'b'],
    items: [item({ subscriberId: 'a' }), item({ subscriberId: 'b' })],
    missingAtVendor: new Map([
      ['c-a', []],
      ['c-b', []],
    ]),
    journal: [created('c-a', '/sso/v2/Users'), created('c-b', '/sso/v2/Users')],
    refusedDuplicates: 0,
    refusedByKind: {},
    ...over,
  };
}

describe('chaos accounting', () => {
  it('counts a clean run as all succeeded, nothing lost, stuck or duplicated', () => {
    expect(accountRun(input())).toMatchObject({
      succeeded: 2,
      lost: 0,
      stuck: 0,
      duplicates: 0,
      reclaimed: 0,
    });
  });

  it('counts a submitted company without an item as lost', () => {
    const result = accountRun(input({ items: [item({ subscriberId: 'a' })] }));
    expect(result.lost).toBe(1);
    expect(result.lostDetails).toEqual(['b: no item in the job']);
  });

  it('counts a succeeded item whose company lacks a template resource at the vendor as lost', () => {
    const result = accountRun(
      input({
        missingAtVendor: new Map([
          ['c-a', []],
          ['c-b', ['customer first@x']],
        ]),
      }),
    );
    expect(result.lost).toBe(1);
    expect(result.lostDetails[0]).toContain('c-b: succeeded but the vendor lacks customer first@x');
  });

  it('counts a succeeded item that was never read at the vendor as lost, not as fine', () => {
    expect(accountRun(input({ missingAtVendor: new Map([['c-a', []]]) })).lost).toBe(1);
  });

  it('does not count a failed item as lost, and groups failures by code', () => {
    const result = accountRun(
      input({
        items: [
          item({ subscriberId: 'a' }),
          item({
            subscriberId: 'b',
            state: 'failed',
            errorCode: 'VENDOR_ERROR',
            errorMessage: 'BIZL-1001 exists',
          }),
        ],
        missingAtVendor: new Map([['c-a', []]]),
      }),
    );
    expect(result).toMatchObject({ succeeded: 1, failed: 1, lost: 0 });
    expect(result.failures).toEqual({ VENDOR_ERROR: { count: 1, example: 'BIZL-1001 exists' } });
  });

  it('counts pending and running items as stuck', () => {
    const result = accountRun(
      input({
        items: [item({ subscriberId: 'a', state: 'running' }), item({ subscriberId: 'b', state: 'pending' })],
      }),
    );
    expect(result).toMatchObject({ stuck: 2, succeeded: 0, lost: 0 });
  });

  it('adds refused duplicates and creates accepted twice for one company and route', () => {
    const result = accountRun(
      input({
        journal: [
          created('c-a', '/sso/v2/Users'),
          created('c-a', '/sso/v2/Users'),
          created('c-a', '/sso/v2/Users'),
          created('c-a', '/customers/v2/Customer'),
          created('c-b', '/sso/v2/Users'),
          created('c-b', '/sso/v2/Users', 400),
        ],
        refusedDuplicates: 1,
        refusedByKind: { company_user: 1 },
      }),
    );
    expect(result.duplicates).toBe(3);
    expect(result.duplicateDetails).toEqual({
      'accepted twice /sso/v2/Users': 2,
      'refused company_user': 1,
    });
  });

  it('ignores reads, non-create routes and other companies when counting accepted creates', () => {
    expect(
      extraAcceptedCreates([
        { method: 'GET', route: '/sso/v2/Users', status: 200, companyId: 'c-a' },
        { method: 'GET', route: '/sso/v2/Users', status: 200, companyId: 'c-a' },
        created('c-a', '/subscriptions/v2/Subscription/PersistentData/:id', 201),
        created('c-a', '/subscriptions/v2/Subscription/PersistentData/:id', 201),
        created('c-a', '/customers/v2/Customer'),
        created('c-b', '/customers/v2/Customer'),
      ]),
    ).toEqual({});
  });

  it('counts items claimed more than once as reclaimed', () => {
    expect(
      accountRun(input({ items: [item({ subscriberId: 'a', attempts: 3 }), item({ subscriberId: 'b' })] }))
        .reclaimed,
    ).toBe(1);
  });
});
