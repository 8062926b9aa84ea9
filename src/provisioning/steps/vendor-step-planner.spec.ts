import type { RenderedTemplateSpec } from '../templates/template-spec';
import type { StepServices } from './step-services';
import { VendorStepPlanner } from './vendor-step-planner';

describe('VendorStepPlanner.outline (no vendor reads)', () => {
  const planner = new VendorStepPlanner({} as StepServices);

  it('orders relationship, roles, users, persistent data, customers, with keys and shared-read estimates', () => {
    const spec: RenderedTemplateSpec = {
      customers: [{ email: 'Buyer@Example.test', firstName: 'B', lastName: 'C' }],
      persistentData: [
        { subscription: 7, name: 'Region', value: 'eu' },
        { subscription: 7, name: 'Tier', value: 'gold' },
      ],
      users: [
        { email: 'a@x.test', firstName: 'A', lastName: 'B', roles: ['Ops'] },
        { email: 'b@x.test', firstName: 'B', lastName: 'C' },
      ],
      roles: [{ name: 'Ops', permissions: ['User'] }],
      relationship: { approveRequest: true, roleShares: [{ roleId: 9, purpose: 'support' }] },
    };
    const steps = planner.outline(spec);
    expect(steps.map(({ index, kind, key, estimatedCalls }) => [index, kind, key, estimatedCalls])).toEqual([
      [0, 'approve_request', 'relationship:approve_request', 2],
      [1, 'role_share', 'role_share:9', 2],
      [2, 'role', 'role:ops', 2],
      // The role list was read by the role step; the user list once for both users.
      [3, 'user', 'user:a@x.test', 2],
      [4, 'user', 'user:b@x.test', 1],
      [5, 'persistent_data', 'persistent_data:7:Region', 2],
      [6, 'persistent_data', 'persistent_data:7:Tier', 1],
      [7, 'customer', 'customer:buyer@example.test', 2],
    ]);
    expect(steps.every((step) => step.action === null && !('observed' in step))).toBe(true);
    expect(steps[1]?.desired).toEqual({ roleId: 9, purpose: 'support' });
  });
});
