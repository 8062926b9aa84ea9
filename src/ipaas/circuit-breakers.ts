/**
 * One circuit per company: `threshold` consecutive failures open it; after `openMs` one half-open probe is let
 * through; its success closes the circuit, its failure opens it again. Only failures that say the vendor is
 * unwell for that company count (5xx, network, timeout), not 4xx answers about a request.
 */
export type CircuitState = 'closed' | 'open' | 'half_open';

interface Circuit {
  failures: number;
  openedAt: number | null;
  probeInFlight: boolean;
}

export class CircuitBreakers {
  private readonly circuits = new Map<string, Circuit>();

  constructor(
    private readonly options: { threshold: number; openMs: number },
    private readonly now: () => number = () => performance.now(),
  ) {}

  state(key: string): CircuitState {
    const circuit = this.circuits.get(key);
    if (circuit?.openedAt === null || circuit === undefined) {
      return 'closed';
    }
    return this.now() - circuit.openedAt >= this.options.openMs ? 'half_open' : 'open';
  }

  /** True when a call may go out now; a half-open circuit admits one probe at a time. */
  tryAcquire(key: string): boolean {
    const state = this.state(key);
    if (state === 'closed') {
      return true;
    }
    const circuit = this.circuits.get(key) as Circuit;
    if (state === 'half_open' && !circuit.probeInFlight) {
      circuit.probeInFlight = true;
      return true;
    }
    return false;
  }

  /** Milliseconds until an open circuit lets a probe through. */
  retryInMs(key: string): number {
    const openedAt = this.circuits.get(key)?.openedAt;
    return openedAt === null || openedAt === undefined
      ? 0
      : Math.max(0, openedAt + this.options.openMs - this.now());
  }

  recordSuccess(key: string): void {
    this.circuits.delete(key);
  }

  recordFailure(key: string): void {
    const circuit = this.circuits.get(key) ?? { failures: 0, openedAt: null, probeInFlight: false };
    circuit.failures += 1;
    if (circuit.probeInFlight || circuit.failures >= this.options.threshold) {
      circuit.openedAt = this.now();
    }
    circuit.probeInFlight = false;
    this.circuits.set(key, circuit);
  }

  /** A call that neither proved nor disproved health (e.g. a 4xx) releases a probe slot. */
  recordNeutral(key: string): void {
    const circuit = this.circuits.get(key);
    if (circuit !== undefined) {
      circuit.probeInFlight = false;
    }
  }

  /** Manual control (health checks, staff): force a circuit open or closed. */
  open(key: string): void {
    this.circuits.set(key, { failures: this.options.threshold, openedAt: this.now(), probeInFlight: false });
  }

  close(key: string): void {
    this.circuits.delete(key);
  }
}
