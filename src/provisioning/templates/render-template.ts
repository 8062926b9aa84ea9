import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

import type { FieldProblem } from '../../common/errors/app-error';
import { toFieldProblems } from '../../common/http/validation.pipe';
import type { RenderedSpec } from '../steps/step.types';
import { checkSemantics, mapStrings } from './template-checks';
import {
  parsePlaceholder,
  PLACEHOLDER_PATTERN,
  type RenderedTemplateSpec,
  type TemplateSpec,
} from './template-spec';
import { TemplateSpecDto } from './template-spec.dto';

export interface RenderContext {
  subscriber: { name: string; ipaasCompanyId: string; externalRef: string | null };
  /** The job row's variables, by name. */
  vars?: Record<string, string>;
}

export type RenderResult = { rendered: RenderedSpec } | { errors: FieldProblem[] };

/** Where rendered-output problems point, e.g. `spec.users.0.email`. */
const SPEC_PREFIX = 'spec';
const SHOWN_VALUE_LENGTH = 100;

/**
 * The variable values for one row: supplied, else the default, else '' for an optional one. A supplied
 * variable the template does not declare, or a required one missing, is an error naming `vars.NAME`.
 */
function resolveVariables(
  spec: TemplateSpec,
  supplied: Record<string, string>,
  problems: FieldProblem[],
): Map<string, string> {
  const values = new Map<string, string>();
  const declared = new Set<string>();
  for (const variable of spec.variables ?? []) {
    declared.add(variable.name);
    const value = Object.hasOwn(supplied, variable.name) ? supplied[variable.name] : variable.default;
    if (value === undefined && variable.required === true) {
      problems.push({ field: `vars.${variable.name}`, message: 'is required by the template' });
    }
    values.set(variable.name, value ?? '');
  }
  for (const name of Object.keys(supplied)) {
    if (!declared.has(name)) {
      problems.push({ field: `vars.${name}`, message: 'is not a variable of this template' });
    }
  }
  return values;
}

function valueAt(root: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], root);
}

/**
 * Substitutes `{{ subscriber.* }}` and `{{ vars.NAME }}` in every string of the template, then validates the
 * result as a template again (a rendered email must still be an email, lengths still hold, two users must not
 * render to one email). Pure: no I/O, no clock. Substitution is one literal pass: a value is inserted as text
 * and never read as a placeholder or evaluated, and values holding `{{` or `}}` are refused so the output
 * cannot contain anything that looks like one.
 */
export function renderTemplate(spec: TemplateSpec, context: RenderContext): RenderResult {
  const problems: FieldProblem[] = [];
  const variables = resolveVariables(spec, context.vars ?? {}, problems);
  const sources: Record<string, string | null> = {
    'subscriber.name': context.subscriber.name,
    'subscriber.ipaasCompanyId': context.subscriber.ipaasCompanyId,
    'subscriber.externalRef': context.subscriber.externalRef,
    ...Object.fromEntries([...variables].map(([name, value]) => [`vars.${name}`, value])),
  };
  const refused = new Set<string>();
  const { variables: _declarations, ...steps } = spec;
  const rendered = mapStrings<RenderedTemplateSpec>(steps, SPEC_PREFIX, (text, field) =>
    text.replace(PLACEHOLDER_PATTERN, (_match, path: string) => {
      const placeholder = parsePlaceholder(path);
      const key = placeholder === null ? path : `${placeholder.scope}.${placeholder.name}`;
      const value = placeholder === null ? undefined : sources[key];
      if (value === undefined || value === null) {
        const why = placeholder === null ? 'is not a known variable' : 'is not set for this subscriber';
        problems.push({ field: key, message: `${why} (used by ${field})` });
        return '';
      }
      if ((value.includes('{{') || value.includes('}}')) && !refused.has(key)) {
        refused.add(key);
        problems.push({ field: key, message: 'must not contain {{ or }}' });
      }
      return value;
    }),
  );
  if (problems.length > 0) {
    return { errors: problems };
  }
  const validation = validateSync(plainToInstance(TemplateSpecDto, rendered), {
    whitelist: true,
    forbidNonWhitelisted: true,
    validationError: { target: false, value: false },
  });
  const invalid = toFieldProblems(validation, SPEC_PREFIX).map(({ field, message }) => {
    const value = valueAt({ [SPEC_PREFIX]: rendered }, field);
    return typeof value === 'string'
      ? { field, message: `${message} (rendered: ${JSON.stringify(value.slice(0, SHOWN_VALUE_LENGTH))})` }
      : { field, message };
  });
  const all = [...invalid, ...checkSemantics(rendered, SPEC_PREFIX, true)];
  return all.length > 0 ? { errors: all } : { rendered };
}
