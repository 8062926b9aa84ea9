import { TextDecoder } from 'node:util';

import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

import type { FieldProblem } from '../common/errors/app-error';
import { hasBadText } from '../common/http/json-shape';
import { isReservedKey, reservedKeyMessage } from '../common/reserved-keys';
import { JobRowDto } from '../provisioning/jobs/jobs.dto';
import type { WebhookRule } from './webhook.types';

const MAX_EXTERNAL_REF = 100;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** JSON of verified bytes; null when they are not UTF-8 JSON. */
export function parsePayload(body: Buffer): { text: string; payload: unknown } | null {
  try {
    const text = strictUtf8.decode(body);
    return { text, payload: JSON.parse(text) as unknown };
  } catch {
    return null;
  }
}

/** What an event asks for, read from its payload through the source's rules. */
export interface MappedEvent {
  eventType: string;
  rule: WebhookRule;
  subscriber: { ipaasCompanyId: string; name?: string; externalRef?: string };
  vars: Record<string, string>;
}

export type MappingResult = { mapped: MappedEvent } | { eventType: string | null; problems: FieldProblem[] };

/** The value at a dot path (`data.customer.id`); undefined when any step is missing. */
export function valueAt(payload: unknown, path: string): unknown {
  let current: unknown = payload;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) {
      return undefined;
    }
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * A string, or a finite number as text (ids are often numeric); anything else is not usable, nor is a string
 * holding U+0000 or a lone surrogate (no Tenantry value can, see src/common/http/json-shape.ts).
 */
function textAt(payload: unknown, path: string): string | undefined {
  const value = valueAt(payload, path);
  if (typeof value === 'number' && Number.isFinite(value)) {
    return String(value);
  }
  return typeof value === 'string' && !hasBadText(value) ? value : undefined;
}

function flatten(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((error) => [
    ...Object.values(error.constraints ?? {}).map((message) => ({
      field: `${prefix}${error.property}`,
      message,
    })),
    ...flatten(error.children ?? [], `${prefix}${error.property}.`),
  ]);
}

/** Per template id, the template's variables that have a default (see WebhookSourcesService.defaultedVars). */
export type DefaultedVars = ReadonlyMap<string, ReadonlySet<string>>;

/**
 * Picks the rule of the payload's event type and reads the subscriber fields and template variables it maps.
 * A required field that is absent, or a value a provisioning job row would refuse, is a problem: the event is
 * not usable and nothing is stored. A mapped variable absent from the payload is left out when the rule's
 * template gives it a default (`defaulted`): the job then renders the default.
 */
export function mapEvent(
  payload: unknown,
  eventTypeField: string,
  rules: readonly WebhookRule[],
  defaulted: DefaultedVars = new Map(),
): MappingResult {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { eventType: null, problems: [{ field: 'payload', message: 'must be a JSON object' }] };
  }
  const eventType = textAt(payload, eventTypeField);
  if (eventType === undefined) {
    return { eventType: null, problems: [{ field: eventTypeField, message: 'the event type is missing' }] };
  }
  const rule = rules.find((candidate) => candidate.eventType === eventType);
  if (rule === undefined) {
    return {
      eventType,
      problems: [{ field: eventTypeField, message: `no rule handles event type ${eventType}` }],
    };
  }
  const problems: FieldProblem[] = [];
  const read = (path: string | undefined, required: boolean): string | undefined => {
    if (path === undefined) {
      return undefined;
    }
    const raw = valueAt(payload, path);
    if (typeof raw === 'string' && hasBadText(raw)) {
      problems.push({ field: path, message: 'must not contain U+0000 or lone surrogates' });
      return undefined;
    }
    const value = textAt(payload, path);
    if (value === undefined && required) {
      problems.push({ field: path, message: 'is missing or not a string or number' });
    }
    return value;
  };
  const ipaasCompanyId = read(rule.subscriber.ipaasCompanyId, true);
  const name = read(rule.subscriber.name, false);
  const externalRef = read(rule.subscriber.externalRef, false);
  const vars: Record<string, string> = {};
  const hasDefault = defaulted.get(rule.templateId ?? '') ?? new Set<string>();
  for (const [variable, path] of Object.entries(rule.vars ?? {})) {
    if (isReservedKey(variable)) {
      // Only a rule stored before such names were refused can hold one; a lookup would find the inherited member.
      problems.push({ field: `vars.${variable}`, message: reservedKeyMessage(variable) });
      continue;
    }
    const value = read(path, !hasDefault.has(variable));
    if (value !== undefined) {
      vars[variable] = value;
    }
  }
  if (externalRef !== undefined && (externalRef.length === 0 || externalRef.length > MAX_EXTERNAL_REF)) {
    problems.push({
      field: rule.subscriber.externalRef as string,
      message: `must be 1-${MAX_EXTERNAL_REF} characters`,
    });
  }
  // The same checks a job row gets over HTTP, so a mapped row is never refused later by the engine.
  problems.push(...flatten(validateSync(plainToInstance(JobRowDto, { ipaasCompanyId, name, vars }))));
  if (problems.length > 0 || ipaasCompanyId === undefined) {
    return { eventType, problems };
  }
  return {
    mapped: {
      eventType,
      rule,
      subscriber: {
        ipaasCompanyId,
        ...(name === undefined ? {} : { name }),
        ...(externalRef === undefined ? {} : { externalRef }),
      },
      vars,
    },
  };
}
