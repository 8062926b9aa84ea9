import type { IpaasSettings } from '../../config/app-config';

/**
 * Seconds `totalCalls` vendor calls spread over `companies` companies take at best: the global rate bounds
 * the whole, the per-company rate bounds each company's share (companies run side by side). Pure.
 */
export function estimateSeconds(
  totalCalls: number,
  companies: number,
  rates: Pick<IpaasSettings, 'globalRatePerSecond' | 'companyRatePerSecond'>,
): number {
  if (totalCalls <= 0) {
    return 0;
  }
  const globalBound = totalCalls / rates.globalRatePerSecond;
  const companyBound = totalCalls / Math.max(1, companies) / rates.companyRatePerSecond;
  return Math.ceil(Math.max(globalBound, companyBound));
}
