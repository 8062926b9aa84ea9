/** Counters the control plane exposes. Memory is bounded by the number of routes, companies and statuses. */
export interface StatsSnapshot {
  totalCalls: number;
  byRoute: Record<string, number>;
  byCompany: Record<string, number>;
  byStatus: Record<string, number>;
  /** The same natural key created twice (refused with a BIZL error and counted here). Crash tests keep it at 0. */
  duplicateCreates: number;
  duplicateCreatesByKind: Record<string, number>;
  faultsFired: number;
  rateLimited: { volume: number; monthly: number };
}

function inc(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

export class Stats {
  totalCalls = 0;
  readonly byRoute = new Map<string, number>();
  readonly byCompany = new Map<string, number>();
  readonly byStatus = new Map<string, number>();
  duplicateCreates = 0;
  readonly duplicatesByKind = new Map<string, number>();
  faultsFired = 0;
  volume429 = 0;
  monthly429 = 0;

  call(route: string, companyId: string | null, status: number): void {
    this.totalCalls++;
    inc(this.byRoute, route);
    if (companyId) {
      inc(this.byCompany, companyId);
    }
    inc(this.byStatus, String(status));
  }

  duplicate(kind: string): void {
    this.duplicateCreates++;
    inc(this.duplicatesByKind, kind);
  }

  snapshot(): StatsSnapshot {
    return {
      totalCalls: this.totalCalls,
      byRoute: Object.fromEntries(this.byRoute),
      byCompany: Object.fromEntries(this.byCompany),
      byStatus: Object.fromEntries(this.byStatus),
      duplicateCreates: this.duplicateCreates,
      duplicateCreatesByKind: Object.fromEntries(this.duplicatesByKind),
      faultsFired: this.faultsFired,
      rateLimited: { volume: this.volume429, monthly: this.monthly429 },
    };
  }

  clear(): void {
    this.totalCalls = 0;
    this.byRoute.clear();
    this.byCompany.clear();
    this.byStatus.clear();
    this.duplicateCreates = 0;
    this.duplicatesByKind.clear();
    this.faultsFired = 0;
    this.volume429 = 0;
    this.monthly429 = 0;
  }
}
