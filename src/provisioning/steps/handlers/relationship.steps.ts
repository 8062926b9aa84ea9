import type { RoleShareSpec } from '../../templates/template-spec';
import {
  isVendorRoleShare,
  isVendorSubscriberRequest,
  type VendorRoleShare,
  type VendorSubscriberRequest,
} from '../../../relationships/misp-wire.types';
import type { StepRun } from '../step-run';
import { sameText } from '../vendor-resources';
import { CREATE, NOOP, type StepHandler } from './step-handler';

/** The vendor answers BIZL-1009 when a subscriber request was already decided. */
const ALREADY_DECIDED = 'BIZL-1009';

const ofCompany = (run: StepRun) => (item: { subscriber_company_id: string }) =>
  sameText(item.subscriber_company_id, run.subscriber.ipaasCompanyId);

async function requestsOf(run: StepRun, status: string): Promise<VendorSubscriberRequest[]> {
  const requests = await run.mispList<unknown>('mispSubscriberRequests', { status });
  return requests.filter(isVendorSubscriberRequest).filter(ofCompany(run));
}

/** Every role share of the MiSP (all companies: the vendor has no per-company filter), read once per attempt. */
export function mispRoleShares(run: StepRun): Promise<VendorRoleShare[]> {
  return run.cached('misp:roleShares', async () =>
    (await run.mispList<unknown>('mispRoleShares')).filter(isVendorRoleShare),
  );
}

/** The company has an active role share: the MiSP user can act in it. */
export async function hasActiveRoleShare(run: StepRun): Promise<boolean> {
  return (await mispRoleShares(run)).some((share) => ofCompany(run)(share) && share.status === 'active');
}

interface ApproveObservation {
  pending: VendorSubscriberRequest | null;
}

/** MiSP side: approve the company's pending subscriber request; nothing to do once approved (or if none). */
export const approveRequestStep: StepHandler<Record<string, never>, ApproveObservation> = {
  readKeys: () => ['misp:pendingRequests'],

  async observe(run) {
    return { pending: (await requestsOf(run, 'pending'))[0] ?? null };
  },

  observedFields: ({ pending }) => pending && { requestId: pending.id, status: pending.status },

  decide: (_desired, { pending }) => (pending === null ? NOOP : CREATE),

  async apply(run, _desired, { pending }) {
    if (pending === null) {
      return;
    }
    await run.asMisp('approveSubscriberRequest', { params: { id: pending.id } });
    await run.advanceStatus('requested', 'approved', 'approve');
  },

  // A PUT whose earlier attempt landed, or a request the subscriber's side decided meanwhile.
  alreadyDoneCodes: [ALREADY_DECIDED],

  // Approved is what was wanted; decided any other way (denied), the request is still to do: unresolved.
  async reobserve(run, _desired, before) {
    const approved = await requestsOf(run, 'approved');
    return before.pending !== null && approved.some((request) => request.id === before.pending?.id)
      ? { pending: null }
      : before;
  },

  adopted: (run) => run.advanceStatus('requested', 'approved', 'approve'),
};

interface RoleShareObservation {
  share: VendorRoleShare | null;
}

/** MiSP side: request a share of the MiSP role unless a pending or active share of it exists. */
export const roleShareStep: StepHandler<RoleShareSpec, RoleShareObservation> = {
  readKeys: () => ['misp:roleShares'],

  async observe(run, desired) {
    const share = (await mispRoleShares(run)).find(
      (candidate) =>
        ofCompany(run)(candidate) &&
        candidate.role_id === desired.roleId &&
        (candidate.status === 'pending' || candidate.status === 'active'),
    );
    return { share: share ?? null };
  },

  observedFields: ({ share }) => share && { shareId: share.id, status: share.status },

  decide: (_desired, { share }) => (share === null ? CREATE : NOOP),

  async apply(run, desired) {
    const isRequested = (share: VendorRoleShare): boolean =>
      ofCompany(run)(share) && share.role_id === desired.roleId && share.status === 'pending';
    const created = await run.asMisp<VendorRoleShare>('createRoleShare', {
      body: {
        subscriber_company_id: run.subscriber.ipaasCompanyId,
        role_id: desired.roleId,
        purpose: desired.purpose,
        duration_days: desired.durationDays,
      },
      landedCheck: async () => {
        const pending = await run.mispList<unknown>('mispRoleShares', { status: 'pending' });
        const landed = pending.filter(isVendorRoleShare).find(isRequested);
        return landed === undefined ? { landed: false } : { landed: true, value: landed };
      },
    });
    (await mispRoleShares(run)).push(created);
    await run.advanceStatus('approved', 'role_share_pending', 'request a role share for');
  },

  adopted: (run) => run.advanceStatus('approved', 'role_share_pending', 'request a role share for'),
};
