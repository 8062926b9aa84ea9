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

/** Reserved-key problems listed in one answer (the rest are the same mistake). */
const MAX_KEY_PROBLEMS = 20;

export type JsonShapeProblem =
  { kind: 'too_deep'; path: string } | { kind: 'reserved_key'; path: string; key: string };

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
 * the walk stops there) and, when `reservedKeys` is set, keys that name Object.prototype members (the dotted
 * paths, at most 20; see src/common/reserved-keys.ts). Iterative, so a value deeper than the stack is walked safely; linear in its size.
 */
export function jsonShapeProblems(
  value: unknown,
  options: { reservedKeys: boolean; maxDepth?: number },
): JsonShapeProblem[] {
  if (typeof value !== 'object' || value === null) {
    return [];
  }
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  const problems: JsonShapeProblem[] = [];
  let keyProblems = 0;
  const stack: Frame[] = [{ value, depth: 1, parent: undefined, key: '' }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    if (frame.depth > maxDepth) {
      problems.push({ kind: 'too_deep', path: pathOf(frame) });
      return problems;
    }
    const entries: [string, unknown][] = Array.isArray(frame.value)
      ? frame.value.map((item, index) => [String(index), item])
      : Object.entries(frame.value);
    for (const [key, item] of entries) {
      if (
        options.reservedKeys &&
        !Array.isArray(frame.value) &&
        isReservedKey(key) &&
        keyProblems < MAX_KEY_PROBLEMS
      ) {
        keyProblems += 1;
        problems.push({ kind: 'reserved_key', path: pathOf(frame, key), key });
      }
      if (typeof item === 'object' && item !== null) {
        stack.push({ value: item, depth: frame.depth + 1, parent: frame, key });
      }
    }
  }
  return problems;
}

/** The refusal of a body with these problems: BODY_TOO_DEEP, or VALIDATION_FAILED naming each reserved key. */
export function jsonShapeError(problems: readonly JsonShapeProblem[]): AppError | undefined {
  const tooDeep = problems.find((problem) => problem.kind === 'too_deep');
  if (tooDeep !== undefined) {
    return new AppError(
      ErrorCode.BODY_TOO_DEEP,
      `The body nests arrays or objects more than ${MAX_JSON_DEPTH} levels deep (at ${tooDeep.path || 'the top'})`,
      { extensions: { maxDepth: MAX_JSON_DEPTH } },
    );
  }
  const keys = problems.flatMap((problem) => (problem.kind === 'reserved_key' ? [problem] : []));
  if (keys.length === 0) {
    return undefined;
  }
  return AppError.validation(
    keys.map(({ path, key }) => ({
      field: path,
      message: reservedKeyMessage(key),
    })),
  );
}

/**
 * Express middleware after the JSON body parsers, before routing: every parsed body of every route is checked
 * here once, before any guard, interceptor or pipe walks it. (The webhook receiver gets raw bytes and checks
 * the depth of what it parses with the same function.)
 */
export function refuseUnsafeJsonBodies(request: Request, _response: Response, next: NextFunction): void {
  const body: unknown = request.body;
  if (typeof body !== 'object' || body === null || Buffer.isBuffer(body)) {
    next();
    return;
  }
  next(jsonShapeError(jsonShapeProblems(body, { reservedKeys: true })));
}
