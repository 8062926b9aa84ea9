import type { PersistentDataSpec } from '../../templates/template-spec';
import { companySubscriptionIds, subscriptionData, type VendorPersistentDatum } from '../vendor-resources';
import { type StepHandler } from './step-handler';

interface SubscriptionValue {
  subscriptionId: number;
  /** undefined: the subscription has no item of that name. */
  value: string | null | undefined;
  /** The subscription's cached item list, kept current after a write. */
  items: VendorPersistentDatum[];
}

interface PersistentDataObservation {
  targets: SubscriptionValue[];
}

const needsWrite = (target: SubscriptionValue, desired: PersistentDataSpec): boolean =>
  target.value !== desired.value;

/**
 * One persistent data item by name on one subscription, or on every subscription of the company. The
 * vendor's POST is an upsert by name, so repeating it is harmless; it is still only sent where the value
 * differs, so a company already in the desired state gets reads only.
 */
export const persistentDataStep: StepHandler<PersistentDataSpec, PersistentDataObservation> = {
  readKeys: (desired) =>
    desired.subscription === 'all'
      ? ['subscriptions', 'subscription:each']
      : [`subscription:${desired.subscription}`],

  async observe(run, desired) {
    const ids = desired.subscription === 'all' ? await companySubscriptionIds(run) : [desired.subscription];
    const targets = await Promise.all(
      ids.map(async (subscriptionId) => {
        const subscription = await subscriptionData(run, subscriptionId);
        subscription.persistent_data ??= [];
        const items = subscription.persistent_data;
        return { subscriptionId, value: items.find((item) => item.name === desired.name)?.value, items };
      }),
    );
    return { targets };
  },

  observedFields: ({ targets }) =>
    targets.every((target) => target.value === undefined)
      ? null
      : targets.map(({ subscriptionId, value }) => ({ subscriptionId, value: value ?? null })),

  decide(desired, { targets }) {
    const writes = targets.filter((target) => needsWrite(target, desired));
    if (writes.length === 0) {
      return { action: 'noop', writes: 0 };
    }
    const creates = writes.some((target) => target.value === undefined);
    return { action: creates ? 'create' : 'update', writes: writes.length };
  },

  async apply(run, desired, { targets }) {
    for (const target of targets.filter((candidate) => needsWrite(candidate, desired))) {
      await run.company('savePersistentData', {
        params: { id: target.subscriptionId },
        body: [{ name: desired.name, value: desired.value }],
        // An upsert by name: a POST that may have landed is simply sent again.
        landedCheck: () => Promise.resolve({ landed: false }),
      });
      const item = { name: desired.name, value: desired.value };
      const index = target.items.findIndex((known) => known.name === desired.name);
      target.items.splice(index === -1 ? target.items.length : index, index === -1 ? 0 : 1, item);
    }
  },
};
