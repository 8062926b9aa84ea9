import fc from 'fast-check';

/** The parts of an OpenAPI 3 schema object that @nestjs/swagger emits for Tenantry's DTOs. */
export interface Schema {
  $ref?: string;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  type?: string;
  format?: string;
  enum?: unknown[];
  nullable?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  example?: unknown;
  default?: unknown;
}

/** JSON text inserted as it is by `toJsonText` (nesting far deeper than JSON.stringify may recurse). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** An object given as its entries, so `__proto__` and friends become real keys of the JSON text. */
export class Entries {
  constructor(readonly entries: readonly (readonly [string, unknown])[]) {}
}

/** Real values the generator mixes in, by a hint taken from the property or parameter name. */
export interface FuzzValues {
  /** Arbitrary of real values for `hint` (`subscriberId`, `templateId`, `ipaasCompanyId`, …), if any. */
  real(hint: string): fc.Arbitrary<string> | undefined;
  /** Where every URL-looking string is pointed (a loopback sink of the test). */
  sinkUrl: string;
}

const DEEP_ARRAYS = new RawJson('['.repeat(3000) + ']'.repeat(3000));
const DEEP_OBJECTS = new RawJson('{"a":'.repeat(5000) + '0' + '}'.repeat(5000));
export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'];

/** Strings that have broken parsers, databases, templates or logs somewhere. */
const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u0001\u001f\u007f\u0085',
  '\t\r\n',
  '\u200b\u200e\u202e\ufeff',
  '\ud800',
  '\udfff\ud800',
  '🙂👩🏽‍🚀',
  'Ω≈ç√∫˜µ≤≥÷',
  'ＡＢＣ',
  "'; DROP TABLE subscribers; --",
  '" OR 1=1 --',
  '%',
  '_',
  '%00',
  '%2e%2e%2f',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '{{ vars.region }}',
  '{{',
  '}}',
  '${7*7}',
  '=HYPERLINK("x")',
  'NaN',
  'Infinity',
  '-Infinity',
  '-0',
  '1e308',
  '-1e308',
  '99999999999999999999',
  '0x10',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
];
/** Characters slipped into otherwise valid strings. */
const TAINTS = [
  '\u0000',
  '\u0001',
  '\u001f',
  '\u007f',
  '\u0085',
  '\ud800',
  '\u202e',
  '\ufeff',
  '\n',
  '%',
  '_',
  "'",
  '"',
  '\\',
  '{{',
  '🙂',
];
const NASTY_NUMBERS = [
  0,
  -0,
  -1,
  0.5,
  1e308,
  -1e308,
  5e-324,
  2 ** 31,
  2 ** 31 - 1,
  2 ** 53 + 2,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  1e20,
];

/** A string or number of `length` characters (huge ones: the body limit and column lengths). */
const longString = (length: number, unit = 'x'): string => unit.repeat(Math.max(0, length));

// Linear-time checks only: a `[a-z][a-z0-9+.-]*:` scan of a 200,000-character string backtracks for minutes.
const SCHEME_AT_START = /^\s*[a-z][a-z0-9+.-]{0,30}:/i;
const KNOWN_SCHEME = /(?:https?|ftp|wss?|file|gopher|dict|ldap|mailto|data|javascript):/i;

/** Anything a URL parser or an HTTP client might take for a URL (scheme, `//`, `\\`, `www.`). */
export function looksLikeUrl(text: string): boolean {
  return (
    text.includes('//') ||
    text.includes('\\\\') ||
    /www\./i.test(text) ||
    SCHEME_AT_START.test(text) ||
    KNOWN_SCHEME.test(text)
  );
}

function hintOf(name: string): string {
  return name.toLowerCase();
}

/** Schema → arbitraries of valid, boundary and hostile values, resolved against the document's components. */
export class SchemaArbitraries {
  constructor(
    private readonly components: Record<string, Schema>,
    private readonly values: FuzzValues,
  ) {}

  resolve(schema: Schema | undefined): Schema {
    let current = schema ?? {};
    for (let hops = 0; hops < 20; hops += 1) {
      if (current.$ref !== undefined) {
        const name = current.$ref.split('/').pop() ?? '';
        current = { ...(this.components[name] ?? {}), nullable: current.nullable };
      } else if (current.allOf !== undefined && current.allOf.length === 1) {
        const { allOf, ...rest } = current;
        current = { ...rest, ...this.resolve(allOf[0]) };
      } else {
        return current;
      }
    }
    return current;
  }

  /** Mostly valid, with a boundary or hostile value at any node now and then. */
  value(schema: Schema | undefined, name = '', depth = 0): fc.Arbitrary<unknown> {
    return fc.oneof(
      { weight: 10, arbitrary: this.valid(schema, name, depth) },
      { weight: 1, arbitrary: this.boundary(schema) },
      { weight: 1, arbitrary: this.hostile(schema) },
    );
  }

  valid(schemaIn: Schema | undefined, name = '', depth = 0): fc.Arbitrary<unknown> {
    const schema = this.resolve(schemaIn);
    const real = name === '' ? undefined : this.values.real(hintOf(name));
    if (schema.enum !== undefined && schema.enum.length > 0) {
      return fc.constantFrom(...schema.enum);
    }
    const type = schema.type ?? (schema.properties !== undefined ? 'object' : undefined);
    switch (type) {
      case 'string':
        return this.validString(schema, name, real);
      case 'integer':
        return fc.integer({
          min: Math.max(schema.minimum ?? -1000, -(2 ** 31)),
          max: Math.min(schema.maximum ?? 100_000, 2 ** 31 - 1),
        });
      case 'number':
        return fc.oneof(
          fc.integer({ min: Math.ceil(schema.minimum ?? -1000), max: Math.floor(schema.maximum ?? 100_000) }),
          fc.double({
            min: schema.minimum ?? -1000,
            max: schema.maximum ?? 100_000,
            noNaN: true,
            noDefaultInfinity: true,
          }),
        );
      case 'boolean':
        return fc.boolean();
      case 'array':
        return fc.array(this.value(schema.items, singular(name), depth + 1), {
          minLength: schema.minItems ?? 0,
          maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)),
        });
      case 'object':
        return depth > 6 ? fc.constant({}) : this.validObject(schema, depth);
      case undefined:
      default:
        return real ?? fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean());
    }
  }

  private validString(
    schema: Schema,
    name: string,
    real: fc.Arbitrary<string> | undefined,
  ): fc.Arbitrary<string> {
    const hint = hintOf(name);
    const maxLength = Math.min(schema.maxLength ?? 40, 40);
    const minLength = Math.min(schema.minLength ?? 0, maxLength);
    const generated = ((): fc.Arbitrary<string> => {
      if (/url|uri/.test(hint)) {
        return fc.constant(this.values.sinkUrl);
      }
      if (schema.format === 'uuid') {
        return fc.uuid();
      }
      if (schema.format === 'date-time') {
        return fc
          .date({
            min: new Date('2000-01-01T00:00:00Z'),
            max: new Date('2100-01-01T00:00:00Z'),
            noInvalidDate: true,
          })
          .map((date) => date.toISOString());
      }
      if (schema.format === 'password' || hint.includes('password')) {
        return fc.string({ minLength: 12, maxLength: 40 });
      }
      if (hint.includes('email')) {
        return fc.emailAddress().filter((email) => email.length <= (schema.maxLength ?? 200));
      }
      if (schema.pattern !== undefined) {
        try {
          return fc
            .stringMatching(new RegExp(schema.pattern))
            .filter((text) => text.length <= maxLength + 60);
        } catch {
          // A pattern fast-check cannot generate from: plain strings.
        }
      }
      return fc.string({ minLength: Math.max(minLength, 1), maxLength: Math.max(maxLength, 1) });
    })();
    // A valid-looking string with one nasty character inside reaches further than a nasty string alone.
    const tainted = generated.chain((text) =>
      fc
        .tuple(fc.constantFrom(...TAINTS), fc.nat(text.length))
        .map(([taint, at]) => text.slice(0, at) + taint + text.slice(at)),
    );
    const options: fc.WeightedArbitrary<string>[] = [
      { weight: 4, arbitrary: generated },
      { weight: 1, arbitrary: tainted },
    ];
    if (real !== undefined) {
      options.push({ weight: 4, arbitrary: real });
    }
    if (typeof schema.example === 'string') {
      options.push({ weight: 1, arbitrary: fc.constant(schema.example) });
    }
    return fc.oneof(...options);
  }

  private validObject(schema: Schema, depth: number): fc.Arbitrary<unknown> {
    const properties = schema.properties ?? {};
    const names = Object.keys(properties);
    if (names.length === 0) {
      const extra = schema.additionalProperties;
      if (typeof extra === 'object') {
        return fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/), this.value(extra, '', depth + 1), {
          maxKeys: 3,
        });
      }
      return fc.oneof(
        fc.constant({}),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
      );
    }
    const required = new Set(schema.required ?? []);
    const record = fc.record(
      Object.fromEntries(names.map((key) => [key, this.value(properties[key], key, depth + 1)])),
      { requiredKeys: names.filter((key) => required.has(key)) },
    );
    // Object-level mutations: a required field dropped, an unknown or prototype-named key added.
    return fc.oneof(
      { weight: 12, arbitrary: record },
      {
        weight: 1,
        arbitrary: record.chain((value) => {
          const keys = Object.keys(value);
          return keys.length === 0
            ? fc.constant(value)
            : fc.constantFrom(...keys).map((dropped) => {
                const copy = { ...(value as Record<string, unknown>) };
                delete copy[dropped];
                return copy;
              });
        }),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(record, fc.constantFrom('zzUnknown', '', ...PROTOTYPE_KEYS), this.hostile(undefined))
          .map(([value, key, extra]) => new Entries([...Object.entries(value as object), [key, extra]])),
      },
    );
  }

  /** Edges of the schema: empty, just inside and just outside the lengths, sizes and ranges it declares. */
  boundary(schemaIn: Schema | undefined): fc.Arbitrary<unknown> {
    const schema = this.resolve(schemaIn);
    const type = schema.type ?? (schema.properties !== undefined ? 'object' : undefined);
    const options: unknown[] = [null];
    if (type === 'string' || type === undefined) {
      const max = schema.maxLength ?? 256;
      options.push(
        '',
        longString(max),
        longString(max + 1),
        longString(Math.max((schema.minLength ?? 1) - 1, 0)),
      );
      if (schema.enum !== undefined) {
        options.push(
          ...schema.enum.map((value) => String(value).toUpperCase()),
          `${String(schema.enum[0])} `,
        );
      }
    }
    if (type === 'integer' || type === 'number') {
      const { minimum, maximum } = schema;
      options.push(0, -0, -1, 0.5, 1e308, -1e308, 2 ** 31, 2 ** 53 + 2);
      if (minimum !== undefined) {
        options.push(minimum, minimum - 1, minimum - 0.5);
      }
      if (maximum !== undefined) {
        options.push(maximum, maximum + 1, maximum + 0.5);
      }
    }
    if (type === 'array') {
      options.push([], [null]);
      const max = schema.maxItems;
      if (max !== undefined && max <= 10_000) {
        options.push(Array.from({ length: max + 1 }, () => ({})));
      }
    }
    if (type === 'object') {
      options.push({}, []);
    }
    return fc.constantFrom(...options);
  }

  /** Any type, whatever the schema says: wrong types, nasty strings and numbers, huge and deep values. */
  hostile(_schema: Schema | undefined): fc.Arbitrary<unknown> {
    return fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
      { weight: 3, arbitrary: fc.constantFrom(...NASTY_NUMBERS) },
      { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
      { weight: 1, arbitrary: fc.constantFrom(true, false, null, [], {}, [[[]]], { a: { b: {} } }) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(longString(20_000), longString(5000, '🙂'), longString(200_000)),
      },
      { weight: 1, arbitrary: fc.constantFrom(DEEP_ARRAYS, DEEP_OBJECTS) },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom(...PROTOTYPE_KEYS)
          .map((key) => new Entries([[key, key === '__proto__' ? { isAdmin: true } : {}]])),
      },
      { weight: 1, arbitrary: fc.json({ maxDepth: 3 }).map((text) => new RawJson(text)) },
    );
  }
}

function singular(name: string): string {
  return name.endsWith('s') ? name.slice(0, -1) : name;
}

/** Every URL-looking string of a generated value pointed at the sink (the fuzzer never leaves loopback). */
export function rewriteUrls(value: unknown, sinkUrl: string): unknown {
  if (typeof value === 'string') {
    return looksLikeUrl(value) ? sinkUrl : value;
  }
  if (Array.isArray(value)) {
    return value.map((item) => rewriteUrls(item, sinkUrl));
  }
  if (value instanceof Entries) {
    return new Entries(value.entries.map(([key, item]) => [key, rewriteUrls(item, sinkUrl)] as const));
  }
  if (value instanceof RawJson) {
    return looksLikeUrl(value.text) ? new RawJson(JSON.stringify(sinkUrl)) : value;
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, rewriteUrls(item, sinkUrl)]));
  }
  return value;
}

/** JSON text of a generated value (RawJson inserted as it is, Entries with their exact keys). */
export function toJsonText(value: unknown): string {
  if (value instanceof RawJson) {
    return value.text;
  }
  if (value instanceof Entries) {
    return `{${value.entries.map(([key, item]) => `${JSON.stringify(key)}:${toJsonText(item)}`).join(',')}}`;
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? 'null' : toJsonText(item))).join(',')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .map(([key, item]) => `${JSON.stringify(key)}:${toJsonText(item)}`)
      .join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return 'null';
  }
  return JSON.stringify(value) ?? 'null';
}

/** The text of a generated value as a query or path parameter. */
export function toParameterText(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  if (value instanceof RawJson) {
    return value.text.slice(0, 2000);
  }
  if (typeof value === 'number') {
    return Object.is(value, -0) ? '-0' : String(value);
  }
  return toJsonText(value).slice(0, 2000);
}
