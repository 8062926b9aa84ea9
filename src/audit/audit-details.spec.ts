import { auditText, MAX_DETAILS_CHARS, serializeDetails } from './audit-details';

describe('audit details and text', () => {
  it('masks secret-looking keys at any depth', () => {
    const stored = serializeDetails({
      email: 'a@b.test',
      password: 'hunter2',
      nested: { apiKey: 'k-123', refresh_token: 'r-1', note: 'kept' },
    });
    expect(stored).not.toContain('hunter2');
    expect(stored).not.toContain('k-123');
    expect(stored).not.toContain('r-1');
    expect(JSON.parse(stored!)).toEqual({
      email: 'a@b.test',
      password: '[Redacted]',
      nested: { apiKey: '[Redacted]', refresh_token: '[Redacted]', note: 'kept' },
    });
  });

  it('stores nothing for no details and survives unserializable ones', () => {
    expect(serializeDetails(undefined)).toBeNull();
    const cyclic: Record<string, unknown> = {};
    cyclic.a = { b: { c: { d: { e: { f: { g: { h: { i: { j: cyclic } } } } } } } } };
    expect(JSON.parse(serializeDetails({ big: 10n })!)).toEqual({ unserializable: true });
    expect(JSON.parse(serializeDetails(cyclic)!)).toEqual({ unserializable: true });
  });

  it('caps large details with valid JSON', () => {
    const stored = serializeDetails({ blob: 'x'.repeat(MAX_DETAILS_CHARS * 2) })!;
    expect(stored.length).toBeLessThanOrEqual(MAX_DETAILS_CHARS + 100);
    expect(JSON.parse(stored)).toMatchObject({ truncated: true });
  });

  it('blanks control characters, cuts to the column and keeps text well-formed', () => {
    expect(auditText('a\u0000b\nc\u007f', 100)).toBe('a b c ');
    expect(auditText('abcdef', 3)).toBe('abc');
    // A surrogate pair cut in half becomes U+FFFD now, not differently after a database round trip.
    const cut = auditText('ab😀', 3);
    expect(cut).toBe('ab\ufffd');
    expect(Buffer.from(cut, 'utf8').toString('utf8')).toBe(cut);
  });
});
