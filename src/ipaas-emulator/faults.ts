import { deriveSeed, mulberry32, type Rng } from './rng';

/** What a fault does to a matching vendor call. */
export type FaultAction =
  /** Answer with this status / body / headers instead of the real handler (after an optional delay). */
  | { type: 'respond'; status: number; body?: string; headers?: Record<string, string>; delayMs?: number }
  /** Wait, then handle the call normally. */
  | { type: 'delay'; delayMs: number }
  /** Never answer: the client must time out. The socket is only closed when the emulator closes. */
  | { type: 'hang' }
  /** Destroy the socket without a response (the client sees ECONNRESET / socket hang up). */
  | { type: 'drop'; delayMs?: number };

export interface FaultRuleInput {
  /** HTTP method to match (case-insensitive); omitted = any. */
  method?: string;
  /** Glob on the URL path (no query): `*` = one segment's characters, `**` = anything. Case-insensitive. */
  path?: string;
  /** Regular expression source tested against the URL path (no query). Case-insensitive. */
  pathRegex?: string;
  /** Only calls whose token resolves to this company id. */
  companyId?: string;
  /** Fire with this probability (0..1), drawn from a seeded stream private to the rule. */
  probability?: number;
  /** Fire on every n-th matching call (n, 2n, 3n, ...). */
  nth?: number;
  /** Fire at most this many times, then the rule is spent (stays listed, with remaining 0). */
  count?: number;
  /** Salt for the rule's random stream; default is the rule id. */
  seed?: number;
  action: FaultAction;
}

export interface FaultRule extends FaultRuleInput {
  id: string;
  matched: number;
  fired: number;
  remaining: number | null;
}

interface CompiledRule {
  rule: FaultRule;
  pathRe: RegExp | null;
  rng: Rng;
}

function globToRegExp(glob: string): RegExp {
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        src += '.*';
        i++;
      } else {
        src += '[^/]*';
      }
    } else if (c === '?') {
      src += '[^/]';
    } else {
      src += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${src}$`, 'i');
}

export function validateFault(input: FaultRuleInput): string[] {
  const problems: string[] = [];
  const a = input.action as FaultAction | undefined;
  if (!a || typeof a !== 'object') {
    problems.push('action is required');
  } else if (a.type === 'respond') {
    if (!Number.isInteger(a.status) || a.status < 100 || a.status > 599) {
      problems.push('action.status must be 100..599');
    }
  } else if (a.type === 'delay') {
    if (!(typeof a.delayMs === 'number' && a.delayMs >= 0)) {
      problems.push('action.delayMs must be >= 0');
    }
  } else if (a.type !== 'hang' && a.type !== 'drop') {
    problems.push('action.type must be respond|delay|hang|drop');
  }
  if (input.probability !== undefined && !(input.probability >= 0 && input.probability <= 1)) {
    problems.push('probability must be within 0..1');
  }
  if (input.nth !== undefined && !(Number.isInteger(input.nth) && input.nth >= 1)) {
    problems.push('nth must be >= 1');
  }
  if (input.count !== undefined && !(Number.isInteger(input.count) && input.count >= 0)) {
    problems.push('count must be an integer >= 0');
  }
  if (input.pathRegex !== undefined) {
    try {
      new RegExp(input.pathRegex);
    } catch {
      problems.push('pathRegex is not a valid regular expression');
    }
  }
  return problems;
}

export class FaultEngine {
  private rules: CompiledRule[] = [];
  private counter = 0;

  constructor(private readonly baseSeed: number) {}

  add(input: FaultRuleInput): FaultRule {
    const problems = validateFault(input);
    if (problems.length) {
      throw new Error(`invalid fault: ${problems.join('; ')}`);
    }
    const id = `fault-${++this.counter}`;
    const rule: FaultRule = {
      ...input,
      id,
      matched: 0,
      fired: 0,
      remaining: input.count === undefined ? null : input.count,
    };
    const pathRe = input.pathRegex
      ? new RegExp(input.pathRegex, 'i')
      : input.path
        ? globToRegExp(input.path)
        : null;
    this.rules.push({ rule, pathRe, rng: mulberry32(deriveSeed(this.baseSeed, input.seed ?? id)) });
    return { ...rule };
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.rule.id !== id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
    this.counter = 0;
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r.rule }));
  }

  get size(): number {
    return this.rules.length;
  }

  /** First rule that matches and fires wins. Every matching rule counts the call toward its nth. */
  evaluate(method: string, path: string, companyId: string | null): FaultRule | null {
    if (this.rules.length === 0) {
      return null;
    }
    for (const c of this.rules) {
      const r = c.rule;
      if (r.remaining === 0) {
        continue;
      }
      if (r.method && r.method.toUpperCase() !== method) {
        continue;
      }
      if (c.pathRe && !c.pathRe.test(path)) {
        continue;
      }
      if (r.companyId && r.companyId !== companyId) {
        continue;
      }
      r.matched++;
      if (r.nth !== undefined && r.matched % r.nth !== 0) {
        continue;
      }
      if (r.probability !== undefined && !(c.rng() < r.probability)) {
        continue;
      }
      r.fired++;
      if (r.remaining !== null) {
        r.remaining--;
      }
      return r;
    }
    return null;
  }
}
