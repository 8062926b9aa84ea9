import type { RoleSpec } from '../../templates/template-spec';
import { companyRoles, freshRoles, remember, sameText, type VendorRole } from '../vendor-resources';
import { CREATE, NOOP, sameSet, sorted, type StepHandler, UPDATE } from './step-handler';

interface RoleObservation {
  role: VendorRole | null;
}

const findRole = (roles: VendorRole[], name: string): VendorRole | undefined =>
  roles.find((role) => sameText(role.name, name));

/** A company role by name (case-insensitive, like the vendor): permissions as a set, description if set. */
export const roleStep: StepHandler<RoleSpec, RoleObservation> = {
  readKeys: () => ['roles'],

  async observe(run, desired) {
    return { role: findRole(await companyRoles(run), desired.name) ?? null };
  },

  observedFields: ({ role }, desired) =>
    role && {
      id: role.id,
      name: role.name,
      permissions: sorted(role.permissions ?? []),
      ...(desired.description === undefined ? {} : { description: role.description ?? '' }),
    },

  decide(desired, { role }) {
    if (role === null) {
      return CREATE;
    }
    const samePermissions = sameSet(role.permissions ?? [], desired.permissions);
    const sameDescription =
      desired.description === undefined || (role.description ?? '') === desired.description;
    return samePermissions && sameDescription ? NOOP : UPDATE;
  },

  async apply(run, desired, { role }) {
    const roles = await companyRoles(run);
    const permissions = sorted(desired.permissions);
    if (role === null) {
      const created = await run.company<VendorRole>('createRole', {
        body: { name: desired.name, description: desired.description ?? '', permissions },
        landedCheck: async () => {
          const landed = findRole(await freshRoles(run), desired.name);
          return landed === undefined ? { landed: false } : { landed: true, value: landed };
        },
      });
      remember(roles, created);
      return;
    }
    const updated = await run.company<VendorRole>('updateRole', {
      params: { id: role.id },
      body: {
        permissions,
        ...(desired.description === undefined ? {} : { description: desired.description }),
      },
    });
    remember(roles, updated);
  },
};
