import type { NextFunction, Request, Response } from 'express';

import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { isReservedKey, reservedKeyMessage } from '../reserved-keys';

export { isReservedKey };

/**
 * Deepest nesting of arrays and objects a request body may have. Real bodies stay under 10 levels; the
 * class-transformer/class-validator pass (and every other recursive walk: canonical JSON, template rendering)
 * recurses once per level and overflows the stack at about 2,000, which answered 500.
 */
export const MAX_JSON_DEPTH = 64;

/** Key and string problems listed in one answer (the rest are the same mistake). */
const MAX_LISTED_PROBLEMS = 20;

/**
 * Text no Tenantry value can hold: U+0000 (PostgreSQL text cannot store it: the write failed with 500) and
 * lone UTF-16 surrogates (`"\ud800"` in JSON: validator.js's isEmail threw "URI malformed", 500, and UTF-8
 * storage would silently turn them into U+FFFD). In a `u` regex a surrogate pair is one code point, so
 * `\p{Cs}` matches only lone halves.
 */
// eslint-disable-next-line no-control-regex -- matching U+0000 is the point.
const BAD_TEXT = /\u0000|\p{Cs}/u;
const BAD_TEXT_MESSAGE =
  'must be well-formed Unicode text without the NUL character (U+0000) or lone surrogates';

/** True for text no Tenantry value can hold (U+0000, lone surrogates). */
export function hasBadText(text: string): boolean {
  return BAD_TEXT.test(text);
}

export type JsonShapeProblem =
  | { kind: 'too_deep'; path: string }
  | { kind: 'reserved_key'; path: string; key: string }
  | { kind: 'bad_text'; path: string };

interface Frame {
  value: object;
  depth: number;
  parent: Frame | undefined;
  key: string;
}

function pathOf(frame: Frame, key?: string): string {
  const parts = key === undefined ? [] : [key];
  for (let current: Frame | undefined = frame; current?.parent !== undefined; current = current.parent) {
    parts.push(current.key);
  }
  return parts.reverse().join('.');
}

/**
 * What is wrong with the shape of a parsed JSON value: nesting deeper than `maxDepth` (the first place found;
 * the walk stops there) and, when `keysAndStrings` is set, keys that name Object.prototype members (see
 * src/common/reserved-keys.ts) and keys or strings holding U+0000 or lone surrogates (their dotted paths, at
 * most 20).
 * Iterative, so a value deeper than the stack is walked safely; linear in its size.
 */
export function jsonShapeProblems(
  value: unknown,
  options: { keysAndStrings: boolean; maxDepth?: number },
): JsonShapeProblem[] {
  if (typeof value !== 'object' || value === null) {
    return options.keysAndStrings && typeof value === 'string' && BAD_TEXT.test(value)
      ? [{ kind: 'bad_text', path: '' }]
      : [];
  }
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  const problems: JsonShapeProblem[] = [];
  const stack: Frame[] = [{ value, depth: 1, parent: undefined, key: '' }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    if (frame.depth > maxDepth) {
      return [{ kind: 'too_deep', path: pathOf(frame) }];
    }
    const isArray = Array.isArray(frame.value);
    const entries: [string, unknown][] = isArray
      ? (frame.value as unknown[]).map((item, index) => [String(index), item])
      : Object.entries(frame.value);
    for (const [key, item] of entries) {
      if (options.keysAndStrings && problems.length < MAX_LISTED_PROBLEMS) {
        if (!isArray && isReservedKey(key)) {
          problems.push({ kind: 'reserved_key', path: pathOf(frame, key), key });
        } else if (BAD_TEXT.test(key) || (typeof item === 'string' && BAD_TEXT.test(item))) {
          problems.push({ kind: 'bad_text', path: pathOf(frame, key) });
        }
      }
      if (typeof item === 'object' && item !== null) {
        stack.push({ value: item, depth: frame.depth + 1, parent: frame, key });
      }
    }
  }
  return problems;
}

/** The refusal of a body with these problems: BODY_TOO_DEEP, or VALIDATION_FAILED naming each bad key or string. */
export function jsonShapeError(problems: readonly JsonShapeProblem[]): AppError | undefined {
  const tooDeep = problems.find((problem) => problem.kind === 'too_deep');
  if (tooDeep !== undefined) {
    return new AppError(
      ErrorCode.BODY_TOO_DEEP,
      `The body nests arrays or objects more than ${MAX_JSON_DEPTH} levels deep (at ${tooDeep.path || 'the top'})`,
      { extensions: { maxDepth: MAX_JSON_DEPTH } },
    );
  }
  if (problems.length === 0) {
    return undefined;
  }
  return AppError.validation(
    problems.map((problem) => ({
      field: problem.path,
      message: problem.kind === 'reserved_key' ? reservedKeyMessage(problem.key) : BAD_TEXT_MESSAGE,
    })),
  );
}

/**
 * Express middleware after the JSON body parsers, before routing: every URL and parsed body of every route is
 * checked here once, before any guard, interceptor or pipe walks it. (The webhook receiver gets raw bytes and
 * checks the depth of what it parses with the same function.)
 */
export function refuseUnsafeJsonBodies(request: Request, _response: Response, next: NextFunction): void {
  // An encoded NUL in the path or the query string reaches database queries the same way.
  if (/%00/i.test(request.originalUrl)) {
    next(
      new AppError(
        ErrorCode.BAD_REQUEST,
        'The URL holds an encoded NUL character (%00), which no Tenantry value can contain',
      ),
    );
    return;
  }
  const body: unknown = request.body;
  if (typeof body !== 'object' || body === null || Buffer.isBuffer(body)) {
    next();
    return;
  }
  next(jsonShapeError(jsonShapeProblems(body, { keysAndStrings: true })));
}
