import { emptyCounts, finalJobState, type ItemCounts } from './ledger.types';

function counts(partial: Partial<ItemCounts>): ItemCounts {
  const all = { ...emptyCounts(), ...partial };
  all.total = all.pending + all.running + all.succeeded + all.failed + all.skipped + all.cancelled;
  return all;
}

describe('finalJobState', () => {
  it('is null while any item is pending or running', () => {
    expect(finalJobState('running', counts({ succeeded: 3, pending: 1 }))).toBeNull();
    expect(finalJobState('running', counts({ succeeded: 3, running: 1 }))).toBeNull();
    expect(finalJobState('cancelling', counts({ cancelled: 3, running: 1 }))).toBeNull();
  });

  it('is succeeded only when every item succeeded', () => {
    expect(finalJobState('running', counts({ succeeded: 5 }))).toBe('succeeded');
  });

  it.each([
    ['a failed item', { succeeded: 4, failed: 1 }],
    ['a skipped item', { succeeded: 4, skipped: 1 }],
    ['only failures', { failed: 2 }],
  ])('is completed_with_errors with %s, never succeeded', (_name, partial) => {
    expect(finalJobState('running', counts(partial))).toBe('completed_with_errors');
  });

  it('stays cancelled once cancelled, whatever the running items did', () => {
    expect(finalJobState('cancelling', counts({ succeeded: 2, cancelled: 3 }))).toBe('cancelled');
    expect(finalJobState('cancelling', counts({ succeeded: 5 }))).toBe('cancelled');
  });
});
