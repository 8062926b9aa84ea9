import { CircuitBreakers } from './circuit-breakers';

describe('CircuitBreakers', () => {
  let now = 0;
  const breakers = (): CircuitBreakers => new CircuitBreakers({ threshold: 3, openMs: 1000 }, () => now);

  beforeEach(() => {
    now = 0;
  });

  it('should open after consecutive failures, then admit a single half-open probe', () => {
    const circuits = breakers();
    circuits.recordFailure('a');
    circuits.recordFailure('a');
    expect(circuits.tryAcquire('a')).toBe(true);
    circuits.recordFailure('a');
    expect(circuits.state('a')).toBe('open');
    expect(circuits.tryAcquire('a')).toBe(false);
    expect(circuits.retryInMs('a')).toBe(1000);
    expect(circuits.tryAcquire('b')).toBe(true);

    now = 1000;
    expect(circuits.state('a')).toBe('half_open');
    expect(circuits.tryAcquire('a')).toBe(true);
    expect(circuits.tryAcquire('a')).toBe(false);
  });

  it('should close on a successful probe and reopen on a failed one', () => {
    const circuits = breakers();
    circuits.open('a');
    now = 1000;
    expect(circuits.tryAcquire('a')).toBe(true);
    circuits.recordFailure('a');
    expect(circuits.state('a')).toBe('open');
    now = 2000;
    expect(circuits.tryAcquire('a')).toBe(true);
    circuits.recordSuccess('a');
    expect(circuits.state('a')).toBe('closed');
  });

  it('should reset the count on success', () => {
    const circuits = breakers();
    circuits.recordFailure('a');
    circuits.recordFailure('a');
    circuits.recordSuccess('a');
    circuits.recordFailure('a');
    expect(circuits.state('a')).toBe('closed');
  });
});
