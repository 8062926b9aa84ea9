/**
 * The onboarding template the demo, the crash test and the provisioning benchmark apply: one admin user, one
 * customer and one persistent-data entry per company — about six vendor calls with the token mint.
 */
export const ONBOARDING_TEMPLATE = {
  name: 'standard-onboarding',
  description: 'A company admin, a first customer and the region setting',
  spec: {
    variables: [{ name: 'region', default: 'eu-west' }],
    users: [
      {
        email: 'it-admin@{{ subscriber.ipaasCompanyId }}.example.test',
        firstName: 'IT',
        lastName: 'Admin',
        roles: ['Administrator'],
      },
    ],
    customers: [
      {
        email: 'first-customer@{{ subscriber.ipaasCompanyId }}.example.test',
        firstName: 'First',
        lastName: 'Customer',
        companyName: '{{ subscriber.name }}',
      },
    ],
    persistentData: [{ subscription: 'all', name: 'tenantry.region', value: '{{ vars.region }}' }],
  },
} as const;

export interface OnboardingResources {
  userEmail: string;
  userRoles: readonly string[];
  customerEmail: string;
  persistentData: { name: string; value: string };
}

/**
 * What ONBOARDING_TEMPLATE leaves at the vendor for one company with no row variables (the chaos suite reads
 * every company back against it). Derived from the template itself, so the two cannot drift apart.
 */
export function onboardingResources(ipaasCompanyId: string): OnboardingResources {
  const { spec } = ONBOARDING_TEMPLATE;
  const render = (text: string) =>
    text
      .replace('{{ subscriber.ipaasCompanyId }}', ipaasCompanyId)
      .replace('{{ vars.region }}', spec.variables[0].default);
  return {
    userEmail: render(spec.users[0].email),
    userRoles: spec.users[0].roles,
    customerEmail: render(spec.customers[0].email),
    persistentData: { name: spec.persistentData[0].name, value: render(spec.persistentData[0].value) },
  };
}
