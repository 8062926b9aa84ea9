import { estimateSeconds } from './eta';

describe('estimateSeconds', () => {
  const rates = { globalRatePerSecond: 200, companyRatePerSecond: 10 };

  it('is bound by the global rate when many companies share it', () => {
    expect(estimateSeconds(6000, 1000, rates)).toBe(30);
  });

  it('is bound by the per-company rate when few companies carry many calls', () => {
    expect(estimateSeconds(600, 2, rates)).toBe(30);
  });

  it('is zero without calls and rounds up', () => {
    expect(estimateSeconds(0, 0, rates)).toBe(0);
    expect(estimateSeconds(1, 1, rates)).toBe(1);
  });
});
