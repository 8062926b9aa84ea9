import type { VendorUserCompany } from '../company-context/vendor-wire.types';
import type { VendorMispSubscriber, VendorRoleShare, VendorSubscriberRequest } from './misp-wire.types';
import {
  DENIED_REASON,
  GONE_REASON,
  type LocalSubscriber,
  planSync,
  VendorDirectory,
  type VendorSnapshot,
} from './sync-plan';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const C = 'cccccccc-0000-4000-8000-000000000003';
const SEEN = new Date(1_000);

const request = (
  id: number,
  companyId: string,
  status: string,
  name = `Company ${companyId.slice(0, 1)}`,
): VendorSubscriberRequest => ({
  id,
  subscriber_company_id: companyId,
  subscriber_company_name: name,
  status,
});
const share = (id: number, companyId: string, status: string): VendorRoleShare => ({
  id,
  subscriber_company_id: companyId,
  role_id: 7,
  status,
});
const served = (companyId: string, name: string, activeShares = 0): VendorMispSubscriber => ({
  company_id: companyId,
  name,
  active_role_shares: activeShares,
});
const accessible = (companyId: string, name: string): VendorUserCompany => ({
  id: companyId,
  name,
  designations: { '5': 'Subscriber' },
});

function vendor(parts: Partial<VendorSnapshot>): VendorSnapshot {
  return { requests: [], roleShares: [], subscribers: [], accessible: [], ...parts };
}

function local(companyId: string, overrides: Partial<LocalSubscriber> = {}): LocalSubscriber {
  return {
    id: `local-${companyId.slice(0, 1)}`,
    ipaasCompanyId: companyId,
    name: `Company ${companyId.slice(0, 1)}`,
    status: 'active',
    statusReason: null,
    vendorRequestId: null,
    syncedAt: SEEN,
    ...overrides,
  };
}

describe('planSync', () => {
  it('adds each listed company with the status its vendor records give it', () => {
    const plan = planSync(
      vendor({
        requests: [request(1, A, 'pending'), request(2, B, 'approved'), request(3, C, 'approved')],
        subscribers: [served(B, 'Bravo'), served(C, 'Charlie', 1)],
        roleShares: [share(10, B, 'pending'), share(11, C, 'active')],
      }),
      [],
    );
    expect(plan.added).toEqual([
      {
        ipaasCompanyId: B,
        name: 'Bravo',
        status: 'role_share_pending',
        statusReason: null,
        vendorRequestId: 2,
      },
      { ipaasCompanyId: C, name: 'Charlie', status: 'active', statusReason: null, vendorRequestId: 3 },
      { ipaasCompanyId: A, name: 'Company a', status: 'requested', statusReason: null, vendorRequestId: 1 },
    ]);
    expect(plan).toMatchObject({ updated: [], gone: [], unchanged: 0 });
  });

  it('calls an approved relationship without any share approved, and an accessible company active', () => {
    const plan = planSync(
      vendor({
        requests: [request(1, A, 'approved')],
        subscribers: [served(A, 'Alpha')],
        accessible: [accessible(B, 'Bravo')],
      }),
      [],
    );
    expect(plan.added.map(({ ipaasCompanyId, status }) => [ipaasCompanyId, status])).toEqual([
      [A, 'approved'],
      [B, 'active'],
    ]);
  });

  it('reports nothing to write when the registry already agrees (a repeated sync is a no-op)', () => {
    const snapshot = vendor({
      requests: [request(1, A, 'pending'), request(2, B, 'approved')],
      subscribers: [served(B, 'Company b', 1)],
    });
    const plan = planSync(snapshot, [
      local(A, { status: 'requested', vendorRequestId: 1 }),
      local(B, { vendorRequestId: 2 }),
    ]);
    expect(plan).toEqual({ added: [], updated: [], gone: [], unchanged: 2 });
  });

  it('updates names and statuses that changed at the vendor, matching company ids case-insensitively', () => {
    const plan = planSync(
      vendor({
        requests: [request(2, B, 'approved')],
        subscribers: [served(B, 'Bravo Renamed', 1)],
      }),
      [local(B.toUpperCase(), { status: 'role_share_pending', vendorRequestId: 2 })],
    );
    expect(plan.updated).toEqual([
      {
        id: 'local-B',
        previousStatus: 'role_share_pending',
        fields: { name: 'Bravo Renamed', status: 'active', statusReason: null, vendorRequestId: 2 },
      },
    ]);
    expect(plan.added).toEqual([]);
  });

  it('keeps a suspended subscriber suspended and only follows the name', () => {
    const plan = planSync(vendor({ subscribers: [served(A, 'Alpha New', 1)] }), [
      local(A, { status: 'suspended', name: 'Alpha' }),
    ]);
    expect(plan.updated).toEqual([
      {
        id: 'local-a',
        previousStatus: 'suspended',
        fields: { name: 'Alpha New', status: 'suspended', statusReason: null, vendorRequestId: null },
      },
    ]);
  });

  it('offboards companies an earlier sync knew that the vendor no longer lists, and reports them gone', () => {
    const plan = planSync(
      // A removed relationship leaves the approved request behind; that alone is not "listed".
      vendor({ requests: [request(1, A, 'approved')] }),
      [local(A, { vendorRequestId: 1 }), local(B, { status: 'suspended' })],
    );
    expect(plan.gone).toEqual([
      {
        id: 'local-a',
        previousStatus: 'active',
        fields: { name: 'Company a', status: 'offboarded', statusReason: GONE_REASON, vendorRequestId: 1 },
      },
      {
        id: 'local-b',
        previousStatus: 'suspended',
        fields: { name: 'Company b', status: 'offboarded', statusReason: GONE_REASON, vendorRequestId: null },
      },
    ]);
    expect(plan.unchanged).toBe(0);
  });

  it('marks gone a company registered by hand that iPaaS.com does not list, and leaves offboarded ones', () => {
    const plan = planSync(vendor({}), [
      local(A, { syncedAt: null }),
      local(B, { status: 'offboarded', statusReason: 'offboarded by staff' }),
    ]);
    expect(plan).toEqual({
      added: [],
      updated: [],
      gone: [
        {
          id: 'local-a',
          previousStatus: 'active',
          fields: {
            name: 'Company a',
            status: 'offboarded',
            statusReason: GONE_REASON,
            vendorRequestId: null,
          },
        },
      ],
      unchanged: 0,
    });
  });

  it('verifies an unverified row: the vendor status when listed, gone when not', () => {
    const plan = planSync(vendor({ requests: [request(3, A, 'pending')] }), [
      local(A, { status: 'unverified', statusReason: 'not verified', syncedAt: null }),
      local(B, { status: 'unverified', statusReason: 'not verified', syncedAt: null }),
    ]);
    expect(plan.updated).toEqual([
      {
        id: 'local-a',
        previousStatus: 'unverified',
        fields: { name: 'Company a', status: 'requested', statusReason: null, vendorRequestId: 3 },
      },
    ]);
    expect(plan.gone).toEqual([
      {
        id: 'local-b',
        previousStatus: 'unverified',
        fields: { name: 'Company b', status: 'offboarded', statusReason: GONE_REASON, vendorRequestId: null },
      },
    ]);
  });

  it('marks a row seen for the first time by a sync even when its fields already agree', () => {
    const plan = planSync(vendor({ subscribers: [served(A, 'Company a', 1)] }), [
      local(A, { syncedAt: null }),
    ]);
    expect(plan.updated).toEqual([
      {
        id: 'local-a',
        previousStatus: 'active',
        fields: { name: 'Company a', status: 'active', statusReason: null, vendorRequestId: null },
      },
    ]);
  });

  it('offboards a known company whose newest request was denied, and ignores denials of unknown ones', () => {
    const plan = planSync(
      vendor({ requests: [request(1, A, 'pending'), request(4, A, 'denied'), request(5, B, 'denied')] }),
      [local(A, { status: 'requested', vendorRequestId: 1 })],
    );
    expect(plan.updated).toEqual([
      {
        id: 'local-a',
        previousStatus: 'requested',
        fields: { name: 'Company a', status: 'offboarded', statusReason: DENIED_REASON, vendorRequestId: 4 },
      },
    ]);
    expect(plan.added).toEqual([]);
  });

  it('keeps the reason of a subscriber offboarded by staff when the vendor also shows it ended', () => {
    const plan = planSync(vendor({ requests: [request(1, A, 'denied')] }), [
      local(A, { status: 'offboarded', statusReason: 'offboarded by staff', vendorRequestId: 1 }),
    ]);
    expect(plan).toEqual({ added: [], updated: [], gone: [], unchanged: 1 });
  });

  it('brings an offboarded company back when it asks again', () => {
    const plan = planSync(vendor({ requests: [request(1, A, 'approved'), request(9, A, 'pending')] }), [
      local(A, { status: 'offboarded', statusReason: GONE_REASON, vendorRequestId: 1 }),
    ]);
    expect(plan.updated).toEqual([
      {
        id: 'local-a',
        previousStatus: 'offboarded',
        fields: { name: 'Company a', status: 'requested', statusReason: null, vendorRequestId: 9 },
      },
    ]);
  });

  it('skips company ids the registry cannot store and truncates long names', () => {
    const plan = planSync(
      vendor({ subscribers: [served('not a valid id!', 'Bad', 1), served(A, 'x'.repeat(300), 1)] }),
      [],
    );
    expect(plan.added).toHaveLength(1);
    expect(plan.added[0]?.name).toHaveLength(200);
  });
});

describe('VendorDirectory', () => {
  it('lists companies the MiSP serves or has a request from, not denied-only or unknown ones', () => {
    const directory = new VendorDirectory(
      vendor({
        requests: [request(1, A, 'pending'), request(2, C, 'denied')],
        subscribers: [served(B, 'Bravo', 1)],
      }),
    );
    expect(directory.lists(A)).toBe(true);
    expect(directory.lists(B.toUpperCase())).toBe(true);
    expect(directory.fieldsOf(B)).toMatchObject({ name: 'Bravo', status: 'active' });
    expect(directory.lists(C)).toBe(false);
    expect(directory.lists('acme-co')).toBe(false);
    expect(directory.fieldsOf('acme-co')).toBeUndefined();
  });
});
