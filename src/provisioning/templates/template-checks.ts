import type { FieldProblem } from '../../common/errors/app-error';
import {
  BUILT_IN_ROLES,
  hasPlaceholder,
  parsePlaceholder,
  PLACEHOLDER_PATTERN,
  type RenderedTemplateSpec,
  type TemplateSpec,
} from './template-spec';

/**
 * Rebuilds `value` with every string passed through `visit(text, path)`; `path` is the dotted field name
 * (`spec.users.0.email`). Numbers, booleans and structure are copied as they are.
 */
export function mapStrings<T>(value: T, path: string, visit: (text: string, path: string) => string): T {
  if (typeof value === 'string') {
    return visit(value, path) as T;
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => mapStrings(item as unknown, `${path}.${index}`, visit)) as T;
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, mapStrings(item as unknown, `${path}.${key}`, visit)]),
    ) as T;
  }
  return value;
}

/**
 * Placeholders of a saved template: each must be `subscriber.name|ipaasCompanyId|externalRef` or a declared
 * `vars.NAME`, and no stray `{{` / `}}` may be left (a typo would otherwise reach the vendor as text).
 * Variable defaults are literal text and are not scanned.
 */
export function checkPlaceholders(spec: TemplateSpec, prefix: string): FieldProblem[] {
  const declared = new Set((spec.variables ?? []).map((variable) => variable.name));
  const problems: FieldProblem[] = [];
  const { variables: _variables, ...steps } = spec;
  mapStrings(steps, prefix, (text, field) => {
    const rest = text.replace(PLACEHOLDER_PATTERN, (_match, path: string) => {
      const placeholder = parsePlaceholder(path);
      if (placeholder === null) {
        problems.push({
          field,
          message: `{{ ${path} }} is not a known variable (use subscriber.name, subscriber.ipaasCompanyId, subscriber.externalRef or vars.NAME)`,
        });
      } else if (placeholder.scope === 'vars' && !declared.has(placeholder.name)) {
        problems.push({ field, message: `{{ ${path} }} uses a variable not declared in variables` });
      }
      return '';
    });
    if (rest.includes('{{') || rest.includes('}}')) {
      problems.push({
        field,
        message: 'has an unbalanced {{ or }} (placeholders look like {{ vars.NAME }})',
      });
    }
    return text;
  });
  return problems;
}

/** Field names of the entries whose key (case-insensitive where the vendor is) was already taken. */
function duplicates<T>(
  items: readonly T[] | undefined,
  keyOf: (item: T) => string,
  fieldOf: (index: number) => string,
): FieldProblem[] {
  const firstIndex = new Map<string, number>();
  const problems: FieldProblem[] = [];
  (items ?? []).forEach((item, index) => {
    const key = keyOf(item);
    const first = firstIndex.get(key);
    if (first === undefined) {
      firstIndex.set(key, index);
    } else {
      problems.push({ field: fieldOf(index), message: `duplicates ${fieldOf(first)}` });
    }
  });
  return problems;
}

const lower = (text: string): string => text.trim().toLowerCase();
const BUILT_IN_LOWER: ReadonlySet<string> = new Set(BUILT_IN_ROLES.map(lower));

/**
 * The rules a DTO cannot express: unique keys, role references, paired fields, and a template that does
 * something. `rendered` is true once placeholders are substituted: references that held a placeholder are
 * only checked then.
 */
export function checkSemantics(
  spec: TemplateSpec | RenderedTemplateSpec,
  prefix: string,
  rendered: boolean,
): FieldProblem[] {
  const { relationship, roles = [], users = [], persistentData = [], customers = [] } = spec;
  const roleShares = relationship?.roleShares ?? [];
  const problems: FieldProblem[] = [];
  const stepCount =
    (relationship?.approveRequest === true ? 1 : 0) +
    roleShares.length +
    roles.length +
    users.length +
    persistentData.length +
    customers.length;
  if (stepCount === 0) {
    problems.push({
      field: prefix,
      message:
        'the template does nothing: add a relationship step, role, user, persistent data item or customer',
    });
  }
  problems.push(
    ...duplicates(
      roleShares,
      (share) => String(share.roleId),
      (i) => `${prefix}.relationship.roleShares.${i}.roleId`,
    ),
    ...duplicates(
      roles,
      (role) => lower(role.name),
      (i) => `${prefix}.roles.${i}.name`,
    ),
    ...duplicates(
      users,
      (user) => lower(user.email),
      (i) => `${prefix}.users.${i}.email`,
    ),
    ...duplicates(
      customers,
      (customer) => lower(customer.email),
      (i) => `${prefix}.customers.${i}.email`,
    ),
  );
  persistentData.forEach((item, index) => {
    // "all" covers every subscription: the same name there and on one subscription would write it twice.
    const clash = persistentData.findIndex(
      (other, otherIndex) =>
        otherIndex < index &&
        other.name === item.name &&
        (other.subscription === item.subscription ||
          other.subscription === 'all' ||
          item.subscription === 'all'),
    );
    if (clash !== -1) {
      problems.push({
        field: `${prefix}.persistentData.${index}.name`,
        message: `duplicates ${prefix}.persistentData.${clash}.name`,
      });
    }
  });
  if ('variables' in spec) {
    problems.push(
      ...duplicates(
        spec.variables,
        (variable) => variable.name,
        (i) => `${prefix}.variables.${i}.name`,
      ),
    );
  }
  roles.forEach((role, index) => {
    if (BUILT_IN_LOWER.has(lower(role.name))) {
      problems.push({
        field: `${prefix}.roles.${index}.name`,
        message: `${role.name} is a built-in role of every company; a template cannot redefine it`,
      });
    }
  });
  const roleNames = new Set([...roles.map((role) => lower(role.name)), ...BUILT_IN_LOWER]);
  users.forEach((user, userIndex) => {
    (user.roles ?? []).forEach((name, roleIndex) => {
      if (!roleNames.has(lower(name)) && (rendered || !hasPlaceholder(name))) {
        problems.push({
          field: `${prefix}.users.${userIndex}.roles.${roleIndex}`,
          message: `role ${name} is neither a role of this template nor ${BUILT_IN_ROLES.join(' / ')}`,
        });
      }
    });
  });
  customers.forEach((customer, index) => {
    if ((customer.externalId === undefined) !== (customer.externalSystemId === undefined)) {
      problems.push({
        field: `${prefix}.customers.${index}.externalSystemId`,
        message: 'externalId and externalSystemId go together: set both or neither',
      });
    }
  });
  return problems;
}
