/**
 * The desired state of one subscriber company, as a template stores it (JSON, camelCase). Any string may hold
 * `{{ subscriber.name }}`, `{{ subscriber.ipaasCompanyId }}`, `{{ subscriber.externalRef }}` or
 * `{{ vars.NAME }}` placeholders; `renderTemplate` substitutes them per company.
 */
export interface TemplateSpec {
  relationship?: RelationshipSpec;
  roles?: RoleSpec[];
  users?: UserSpec[];
  persistentData?: PersistentDataSpec[];
  customers?: CustomerSpec[];
  variables?: VariableSpec[];
}

export interface RelationshipSpec {
  /** Approve the company's pending subscriber request, if it has one. */
  approveRequest?: boolean;
  /** Roles of the MiSP's company to request a share of (skipped when a pending or active share exists). */
  roleShares?: RoleShareSpec[];
}

export interface RoleShareSpec {
  roleId: number;
  purpose?: string;
  durationDays?: number;
}

export interface RoleSpec {
  name: string;
  description?: string;
  permissions: string[];
}

export interface UserSpec {
  email: string;
  firstName: string;
  lastName: string;
  /** Role names in the company: roles of the template or the built-in ones. */
  roles?: string[];
}

export interface PersistentDataSpec {
  /** A vendor subscription id, or every subscription of the company. */
  subscription: 'all' | number;
  name: string;
  value: string;
}

export interface CustomerSpec {
  email: string;
  firstName: string;
  lastName: string;
  companyName?: string;
  /** The customer's id in another system; needs `externalSystemId` (the vendor's `system_id`). */
  externalId?: string;
  externalSystemId?: number;
}

export interface VariableSpec {
  name: string;
  required?: boolean;
  default?: string;
}

/** A template rendered for one company: no placeholders, no variable declarations. */
export type RenderedTemplateSpec = Omit<TemplateSpec, 'variables'>;

export const TEMPLATE_LIMITS = {
  /** Items in any list of the spec. */
  listItems: 50,
  name: 100,
  description: 500,
  email: 254,
  personName: 100,
  permission: 100,
  persistentName: 100,
  persistentValue: 4000,
  companyName: 200,
  externalId: 200,
  purpose: 200,
  variableDefault: 500,
  maxDurationDays: 3650,
} as const;

/** Every company has these roles at iPaaS.com; templates may assign them but never define them. */
export const BUILT_IN_ROLES = ['Administrator', 'Viewer'] as const;

export const SUBSCRIBER_VARIABLES = ['name', 'ipaasCompanyId', 'externalRef'] as const;
export type SubscriberVariable = (typeof SUBSCRIBER_VARIABLES)[number];

export const VARIABLE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;

/** `{{ path }}`: whitespace inside the braces is allowed; the path is checked by `parsePlaceholder`. */
export const PLACEHOLDER_PATTERN = /\{\{\s*([^{}]*?)\s*\}\}/g;

export type Placeholder = { scope: 'subscriber'; name: SubscriberVariable } | { scope: 'vars'; name: string };

/** `subscriber.name` or `vars.region`; anything else is not a placeholder Tenantry knows. */
export function parsePlaceholder(path: string): Placeholder | null {
  const [scope, name, ...rest] = path.split('.');
  if (rest.length > 0 || name === undefined) {
    return null;
  }
  if (scope === 'subscriber' && (SUBSCRIBER_VARIABLES as readonly string[]).includes(name)) {
    return { scope, name: name as SubscriberVariable };
  }
  if (scope === 'vars' && VARIABLE_NAME_PATTERN.test(name)) {
    return { scope, name };
  }
  return null;
}

export function hasPlaceholder(text: string): boolean {
  return new RegExp(PLACEHOLDER_PATTERN.source).test(text);
}

const EMAIL_SHAPE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/**
 * An email address as iPaaS.com accepts one. A string with placeholders is checked with each placeholder
 * standing for a plain word, so `{{ vars.user }}@example.test` passes and `{{ vars.user }}` alone does not;
 * the rendered value is checked again.
 */
export function isEmailShaped(text: string): boolean {
  return EMAIL_SHAPE.test(text.replace(PLACEHOLDER_PATTERN, 'x'));
}
