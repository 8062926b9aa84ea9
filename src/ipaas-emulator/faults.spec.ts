import { FaultEngine, validateFault } from './faults';

const respond = { type: 'respond' as const, status: 500 };

describe('FaultEngine', () => {
  it('matches method, glob path (case-insensitive) and company', () => {
    const f = new FaultEngine(1);
    f.add({ method: 'post', path: '/customers/*/Customer', companyId: 'c1', action: respond });
    expect(f.evaluate('POST', '/customers/v2/customer', 'c1')).not.toBeNull();
    expect(f.evaluate('GET', '/customers/v2/Customer', 'c1')).toBeNull();
    expect(f.evaluate('POST', '/customers/v2/x/Customer', 'c1')).toBeNull();
    expect(f.evaluate('POST', '/customers/v2/Customer', 'c2')).toBeNull();
    const g = new FaultEngine(1);
    g.add({ path: '/sso/**', action: respond });
    expect(g.evaluate('GET', '/sso/v2/User/1/Companies', null)).not.toBeNull();
  });

  it('nth and count combine: every 2nd matching call, at most twice', () => {
    const f = new FaultEngine(1);
    f.add({ nth: 2, count: 2, action: respond });
    const fired = Array.from({ length: 8 }, () => (f.evaluate('GET', '/x', null) ? 1 : 0));
    expect(fired).toEqual([0, 1, 0, 1, 0, 0, 0, 0]);
    expect(f.list()[0]).toMatchObject({ matched: 4, fired: 2, remaining: 0 });
  });

  it('probability is reproducible per seed and independent of other rules', () => {
    const run = (seed: number, extraRule: boolean) => {
      const f = new FaultEngine(seed);
      if (extraRule) {
        f.add({ path: '/other', probability: 0.5, action: respond });
      }
      f.add({ path: '/x', probability: 0.3, action: respond, seed: 5 });
      return Array.from({ length: 200 }, () => (f.evaluate('GET', '/x', null) ? '1' : '0')).join('');
    };
    expect(run(1, false)).toBe(run(1, true));
    const ones = run(1, false)
      .split('')
      .filter((c) => c === '1').length;
    expect(ones).toBeGreaterThan(35);
    expect(ones).toBeLessThan(85);
    expect(run(2, false)).not.toBe(run(1, false));
  });

  it('validates rules', () => {
    expect(validateFault({ action: { type: 'respond', status: 42 } })).toEqual([
      'action.status must be 100..599',
    ]);
    expect(validateFault({ probability: 2, nth: 0, pathRegex: '(', action: { type: 'hang' } })).toHaveLength(
      3,
    );
    expect(() => new FaultEngine(1).add({ action: { type: 'delay', delayMs: -1 } })).toThrow('invalid fault');
  });
});
