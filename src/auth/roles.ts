/** Staff roles, each including the ones below it: admin ⊇ operator ⊇ viewer. */
export const STAFF_ROLES = ['viewer', 'operator', 'admin'] as const;

export type StaffRole = (typeof STAFF_ROLES)[number];

/** True when a caller with `actual` may use a route that needs at least `required`. */
export function roleAllows(actual: StaffRole, required: StaffRole): boolean {
  return STAFF_ROLES.indexOf(actual) >= STAFF_ROLES.indexOf(required);
}

/** The lower of two roles: what a key may do when its owner's role is `b`. */
export function lowerRole(a: StaffRole, b: StaffRole): StaffRole {
  return roleAllows(a, b) ? b : a;
}
