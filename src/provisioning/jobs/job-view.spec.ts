import { emptyTotals, type ItemTotals } from '../ledger/ledger.repository';
import { etaSeconds } from './job-view';

const RATES = { globalRatePerSecond: 200, companyRatePerSecond: 10 };

function totals(partial: Partial<ItemTotals['counts']>): ItemTotals {
  const value = emptyTotals();
  Object.assign(value.counts, partial);
  value.counts.total = Object.entries(value.counts)
    .filter(([state]) => state !== 'total')
    .reduce((sum, [, count]) => sum + count, 0);
  return value;
}

describe('etaSeconds', () => {
  const startedAt = new Date(1_000_000);

  it('is 0 once the job has ended', () => {
    expect(
      etaSeconds({ state: 'completed_with_errors', startedAt }, totals({ failed: 1 }), 2_000_000, undefined),
    ).toBe(0);
  });

  it('extrapolates the pace so far to the items left', () => {
    // 10 items ended in 20 s; 30 left → 60 s.
    expect(
      etaSeconds(
        { state: 'running', startedAt },
        totals({ succeeded: 8, failed: 2, pending: 28, running: 2 }),
        1_020_000,
        undefined,
      ),
    ).toBe(60);
  });

  it('falls back to the planned calls at the configured rates before any item ended, else unknown', () => {
    const fresh = totals({ pending: 100 });
    // 1,000 calls over 100 companies: the global 200/s bound (5 s) beats the per-company bound (1 s).
    expect(
      etaSeconds({ state: 'pending', startedAt: null }, fresh, 1_000_000, { calls: 1000, rates: RATES }),
    ).toBe(5);
    expect(etaSeconds({ state: 'pending', startedAt: null }, fresh, 1_000_000, undefined)).toBeNull();
  });
});
