import fc from 'fast-check';

import { ErrorCode } from '../errors/error-code';
import { isReservedKey, jsonShapeError, jsonShapeProblems, MAX_JSON_DEPTH } from './json-shape';

function nestedArrays(depth: number): unknown {
  return JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown;
}

function nestedObjects(depth: number): unknown {
  return JSON.parse('{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1)) as unknown;
}

describe('JSON body shape', () => {
  it('should accept nesting up to the limit and refuse one level more, for arrays and objects', () => {
    for (const build of [nestedArrays, nestedObjects]) {
      expect(jsonShapeProblems(build(MAX_JSON_DEPTH), { keysAndStrings: true })).toEqual([]);
      expect(jsonShapeProblems(build(MAX_JSON_DEPTH + 1), { keysAndStrings: true })).toEqual([
        { kind: 'too_deep', path: expect.any(String) as string },
      ]);
    }
  });

  it('should walk values far deeper than the stack without overflowing (iterative)', () => {
    const problems = jsonShapeProblems(nestedArrays(200_000), { keysAndStrings: true, maxDepth: 300_000 });
    expect(problems).toEqual([]);
    const error = jsonShapeError(jsonShapeProblems(nestedObjects(5000), { keysAndStrings: false }));
    expect(error?.code).toBe(ErrorCode.BODY_TOO_DEEP);
    expect(error?.detail).toContain(`more than ${MAX_JSON_DEPTH} levels`);
  });

  it('should name every key that shadows an Object.prototype member, at any depth, with its path', () => {
    const body = JSON.parse(
      '{"email":"a@b.co","password":{"constructor":{}},"rows":[{"vars":{"toString":"x","valueOf":"y","ok":"z"}}],"__proto__":{"isAdmin":true}}',
    ) as unknown;
    const error = jsonShapeError(jsonShapeProblems(body, { keysAndStrings: true }));
    expect(error?.code).toBe(ErrorCode.VALIDATION_FAILED);
    expect(error?.options.errors?.map((problem) => problem.field).sort()).toEqual([
      '__proto__',
      'password.constructor',
      'rows.0.vars.toString',
      'rows.0.vars.valueOf',
    ]);
    expect(error?.options.errors?.[0].message).toMatch(/is a reserved name/);
  });

  it('should leave reserved keys alone when asked only about depth (webhook payloads are not DTOs)', () => {
    expect(jsonShapeProblems({ constructor: { toString: 1 } }, { keysAndStrings: false })).toEqual([]);
  });

  it('should treat reserved names as keys only, never as values or array indexes', () => {
    expect(jsonShapeProblems({ name: 'constructor', list: ['__proto__'] }, { keysAndStrings: true })).toEqual(
      [],
    );
    expect(isReservedKey('region')).toBe(false);
    expect(['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty'].every(isReservedKey)).toBe(
      true,
    );
  });

  it('should name every key and string holding U+0000 (PostgreSQL text cannot store it)', () => {
    const body = JSON.parse(
      '{"name":"a\\u0000b","tags":["ok","x\\u0000"],"vars":{"k\\u0000":"v"}}',
    ) as unknown;
    const error = jsonShapeError(jsonShapeProblems(body, { keysAndStrings: true }));
    expect(error?.code).toBe(ErrorCode.VALIDATION_FAILED);
    expect(error?.options.errors?.map((problem) => problem.field)).toEqual([
      'name',
      'vars.k\u0000',
      'tags.1',
    ]);
    expect(error?.options.errors?.[0].message).toMatch(/U\+0000.*lone surrogates/);
    expect(jsonShapeProblems(body, { keysAndStrings: false })).toEqual([]);
  });

  it('should find nothing wrong in any shallow JSON value without reserved keys', () => {
    fc.assert(
      fc.property(
        fc.json({ depthSize: 'small' }).map((text) => JSON.parse(text) as unknown),
        (value) => {
          const problems = jsonShapeProblems(value, { keysAndStrings: true });
          return problems.every((problem) => problem.kind === 'reserved_key');
        },
      ),
      { seed: 14 },
    );
  });
});
