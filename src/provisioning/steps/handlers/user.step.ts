import { AppError } from '../../../common/errors/app-error';
import { ErrorCode } from '../../../common/errors/error-code';
import type { UserSpec } from '../../templates/template-spec';
import type { StepRun } from '../step-run';
import {
  companyRoles,
  companyUsers,
  freshUsers,
  remember,
  sameText,
  type VendorUser,
} from '../vendor-resources';
import { CREATE, NOOP, sorted, type StepHandler, UPDATE } from './step-handler';

interface UserObservation {
  user: VendorUser | null;
  /** The template's role names resolved to the company's role ids (undefined: no such role yet). */
  roleIds: (number | undefined)[];
}

const findUser = (users: VendorUser[], email: string): VendorUser | undefined =>
  users.find((user) => sameText(user.email_address, email));

/** Every role the template names, as ids; a role missing at the vendor is a failure of this step. */
function requireRoleIds(desired: UserSpec, roleIds: (number | undefined)[]): number[] {
  const missing = (desired.roles ?? []).filter((_name, index) => roleIds[index] === undefined);
  if (missing.length > 0) {
    throw new AppError(
      ErrorCode.UNPROCESSABLE,
      `User ${desired.email} needs role(s) ${missing.join(', ')}, which the company does not have`,
    );
  }
  return roleIds as number[];
}

const sameNames = (user: VendorUser, desired: UserSpec): boolean =>
  (user.first_name ?? '') === desired.firstName && (user.last_name ?? '') === desired.lastName;

/** Sets the names and adds the missing roles; roles the template does not name are kept. */
async function updateUser(
  run: StepRun,
  user: VendorUser,
  desired: UserSpec,
  roleIds: number[],
): Promise<VendorUser> {
  const assigned = roleIds.length === 0 ? {} : { role_ids: sorted([...(user.role_ids ?? []), ...roleIds]) };
  return run.company<VendorUser>('updateUser', {
    params: { id: user.id },
    body: { first_name: desired.firstName, last_name: desired.lastName, ...assigned },
  });
}

/**
 * A company user by email: first and last name, and the named roles assigned (in addition to any others,
 * so access granted outside the template is never taken away). Roles are given with the create itself.
 */
export const userStep: StepHandler<UserSpec, UserObservation> = {
  readKeys: (desired) => ((desired.roles ?? []).length > 0 ? ['users', 'roles'] : ['users']),

  async observe(run, desired) {
    const user = findUser(await companyUsers(run), desired.email) ?? null;
    const names = desired.roles ?? [];
    const roles = names.length > 0 ? await companyRoles(run) : [];
    const roleIds = names.map((name) => roles.find((role) => sameText(role.name, name))?.id);
    return { user, roleIds };
  },

  observedFields: ({ user }, desired) =>
    user && {
      id: user.id,
      email: user.email_address.toLowerCase(),
      firstName: user.first_name ?? '',
      lastName: user.last_name ?? '',
      ...((desired.roles ?? []).length > 0 ? { roleIds: sorted(user.role_ids ?? []) } : {}),
    },

  decide(desired, { user, roleIds }) {
    if (user === null) {
      return CREATE;
    }
    const assigned = new Set(user.role_ids ?? []);
    const hasRoles = roleIds.every((id) => id !== undefined && assigned.has(id));
    return sameNames(user, desired) && hasRoles ? NOOP : UPDATE;
  },

  async apply(run, desired, { user, roleIds }) {
    const ids = requireRoleIds(desired, roleIds);
    const users = await companyUsers(run);
    if (user !== null) {
      remember(users, await updateUser(run, user, desired, ids));
      return;
    }
    let created = await run.company<VendorUser>('createUser', {
      body: {
        email_address: desired.email,
        first_name: desired.firstName,
        last_name: desired.lastName,
        role_ids: sorted(ids),
      },
      landedCheck: async () => {
        const landed = findUser(await freshUsers(run), desired.email);
        return landed === undefined ? { landed: false } : { landed: true, value: landed };
      },
    });
    // A person already known to iPaaS.com (a member elsewhere) joins with the names on their account.
    if (!sameNames(created, desired)) {
      created = await updateUser(run, created, desired, ids);
    }
    remember(users, created);
  },
};
