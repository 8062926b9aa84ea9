import { isoAt, ManualClock, monthKeyAt, RealTimeClock } from './clock';
import { mulberry32, randomGuid } from './rng';

describe('clocks and rng', () => {
  it('ManualClock only moves when told', () => {
    const c = new ManualClock(1000);
    expect(c.now()).toBe(1000);
    c.advance(500);
    expect(c.now()).toBe(1500);
    c.set(42);
    expect(c.now()).toBe(42);
    expect(() => c.advance(-1)).toThrow();
  });

  it('RealTimeClock adds the advanced offset to real time', () => {
    const c = new RealTimeClock();
    const before = c.now();
    c.advance(3_600_000);
    expect(c.now() - before).toBeGreaterThanOrEqual(3_600_000);
    expect(c.offsetMs).toBe(3_600_000);
  });

  it('formats ISO-8601 with an explicit offset and detects month changes', () => {
    expect(isoAt(Date.UTC(2025, 0, 1))).toBe('2025-01-01T00:00:00.000+00:00');
    expect(monthKeyAt(Date.UTC(2025, 0, 31, 23, 59))).not.toBe(monthKeyAt(Date.UTC(2025, 1, 1)));
  });

  it('mulberry32 is deterministic; GUIDs are well formed', () => {
    const a = mulberry32(9);
    const b = mulberry32(9);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
    expect(randomGuid(mulberry32(1))).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});
