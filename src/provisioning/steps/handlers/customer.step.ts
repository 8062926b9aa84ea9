import type { CustomerSpec } from '../../templates/template-spec';
import type { StepRun } from '../step-run';
import { customerByEmail, type VendorCustomer, type VendorExternalId } from '../vendor-resources';
import { CREATE, NOOP, type StepHandler, UPDATE } from './step-handler';

interface CustomerObservation {
  customer: VendorCustomer | null;
}

/** The customer's external id in the template's system, if the template sets one. */
function externalIdIn(customer: VendorCustomer, desired: CustomerSpec): string | null {
  return (
    (customer.external_ids ?? []).find((entry) => entry.system_id === desired.externalSystemId)
      ?.external_id ?? null
  );
}

/** The external ids to send: the customer's ids in other systems, and the template's one. */
function externalIds(customer: VendorCustomer | null, desired: CustomerSpec): VendorExternalId[] | undefined {
  if (desired.externalId === undefined || desired.externalSystemId === undefined) {
    return undefined;
  }
  const others = (customer?.external_ids ?? [])
    .filter((entry) => entry.system_id !== desired.externalSystemId)
    .map(({ system_id, external_id }) => ({ system_id, external_id }));
  return [...others, { system_id: desired.externalSystemId, external_id: desired.externalId }];
}

function body(customer: VendorCustomer | null, desired: CustomerSpec): Record<string, unknown> {
  const ids = externalIds(customer, desired);
  return {
    first_name: desired.firstName,
    last_name: desired.lastName,
    ...(desired.companyName === undefined ? {} : { company: desired.companyName }),
    ...(ids === undefined ? {} : { external_ids: ids }),
  };
}

/** A customer by email (the vendor's unique key): names, company name and external id when set. */
export const customerStep: StepHandler<CustomerSpec, CustomerObservation> = {
  readKeys: (desired) => [`customer:${desired.email.toLowerCase()}`],

  async observe(run, desired) {
    return { customer: await customerByEmail(run, desired.email) };
  },

  observedFields: ({ customer }, desired) =>
    customer && {
      id: customer.id,
      firstName: customer.first_name ?? '',
      lastName: customer.last_name ?? '',
      ...(desired.companyName === undefined ? {} : { companyName: customer.company ?? null }),
      ...(desired.externalId === undefined ? {} : { externalId: externalIdIn(customer, desired) }),
    },

  decide(desired, { customer }) {
    if (customer === null) {
      return CREATE;
    }
    const same =
      (customer.first_name ?? '') === desired.firstName &&
      (customer.last_name ?? '') === desired.lastName &&
      (desired.companyName === undefined || customer.company === desired.companyName) &&
      (desired.externalId === undefined || externalIdIn(customer, desired) === desired.externalId);
    return same ? NOOP : UPDATE;
  },

  async apply(run: StepRun, desired, { customer }) {
    if (customer !== null) {
      await run.company('updateCustomer', { params: { id: customer.id }, body: body(customer, desired) });
      return;
    }
    await run.company<VendorCustomer>('createCustomer', {
      body: { email_address: desired.email, ...body(null, desired) },
      landedCheck: async () => {
        const landed = await customerByEmail(run, desired.email);
        return landed === null ? { landed: false } : { landed: true, value: landed };
      },
    });
  },
};
