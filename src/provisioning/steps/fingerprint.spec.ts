import { canonicalJson } from '../../common/canonical-json';
import { fingerprint } from './fingerprint';

describe('fingerprint', () => {
  it('does not depend on key order, at any depth', () => {
    const left = { b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } };
    const right = { a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 };
    expect(canonicalJson(left)).toBe('{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}');
    expect(fingerprint(left)).toBe(fingerprint(right));
    expect(fingerprint(left)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps array order and values significant, drops undefined members', () => {
    expect(fingerprint({ list: [1, 2] })).not.toBe(fingerprint({ list: [2, 1] }));
    expect(fingerprint({ name: 'Ann' })).not.toBe(fingerprint({ name: 'Anne' }));
    expect(fingerprint({ a: 1, b: undefined })).toBe(fingerprint({ a: 1 }));
  });

  it('is null when nothing was observed', () => {
    expect(fingerprint(null)).toBeNull();
  });
});
