import { lowerRole, roleAllows, STAFF_ROLES, type StaffRole } from './roles';

describe('roleAllows', () => {
  it.each<[StaffRole, StaffRole, boolean]>([
    ['viewer', 'viewer', true],
    ['viewer', 'operator', false],
    ['viewer', 'admin', false],
    ['operator', 'viewer', true],
    ['operator', 'operator', true],
    ['operator', 'admin', false],
    ['admin', 'viewer', true],
    ['admin', 'operator', true],
    ['admin', 'admin', true],
  ])('%s may use a route that needs %s: %s', (actual, required, expected) => {
    expect(roleAllows(actual, required)).toBe(expected);
  });

  it('should order the roles from least to most powerful', () => {
    expect(STAFF_ROLES).toEqual(['viewer', 'operator', 'admin']);
  });
});

describe('lowerRole', () => {
  it.each<[StaffRole, StaffRole, StaffRole]>([
    ['admin', 'operator', 'operator'],
    ['operator', 'admin', 'operator'],
    ['viewer', 'admin', 'viewer'],
    ['admin', 'viewer', 'viewer'],
    ['operator', 'operator', 'operator'],
  ])('%s under an owner who is %s acts as %s', (key, owner, expected) => {
    expect(lowerRole(key, owner)).toBe(expected);
  });
});
