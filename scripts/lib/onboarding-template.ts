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
