import { randomUUID } from 'node:crypto';

import { Injectable } from '@nestjs/common';

import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { ClusterLeasesRepository } from './cluster-leases.repository';

const MINT_LEASE_MS = 30_000;
const MINT_POLL_MS = 50;
const TICK_LEASE_MS = 24 * 60 * 60 * 1000;

/**
 * Coordination between Tenantry instances that share one PostgreSQL database, through the `cluster_leases`
 * table: no coordination service of our own, no connection held while waiting (a pool connection held per
 * waiting mint could starve the very queries the holder needs). On SQLite there is one instance by design
 * (the file is not shared), so claims are granted at once without touching the table.
 */
@Injectable()
export class ClusterLeases {
  /** This process, as other instances see it. */
  readonly instanceId = randomUUID();

  constructor(
    private readonly leases: ClusterLeasesRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  get shared(): boolean {
    return this.config.database.kind === 'postgres';
  }

  /** Takes or renews `name` for `ttlMs`; false when another live instance holds it. */
  acquire(name: string, ttlMs: number): Promise<boolean> {
    if (!this.shared) {
      return Promise.resolve(true);
    }
    const now = this.clock.now();
    return this.leases.acquire(name, this.instanceId, now, new Date(now.getTime() + ttlMs));
  }

  async release(name: string): Promise<void> {
    if (this.shared) {
      await this.leases.release(name, this.instanceId);
    }
  }

  /**
   * Runs `work` while no other instance runs work under `name` (waiting, polling, for the holder to finish or
   * its lease to lapse). Callers re-read shared state inside `work`: the previous holder may have done the job.
   */
  async exclusively<T>(name: string, work: () => Promise<T>, ttlMs = MINT_LEASE_MS): Promise<T> {
    while (!(await this.acquire(name, ttlMs))) {
      await this.clock.sleep(MINT_POLL_MS);
    }
    try {
      return await work();
    } finally {
      await this.release(name);
    }
  }

  /**
   * Claims one firing of a scheduled job across all instances: true for exactly one instance per `fireTime`.
   * The claim is never released (it expires after a day and is pruned), so an instance whose cron fires late
   * cannot run the same tick again.
   */
  claimTick(job: string, fireTime: Date): Promise<boolean> {
    return this.acquire(`tick:${job}@${fireTime.toISOString()}`, TICK_LEASE_MS);
  }

  /** Live instances (heartbeats not yet expired), this one included once it has beaten. */
  async liveInstances(): Promise<number> {
    return this.shared ? this.leases.countLive('instance:', this.clock.now()) : 1;
  }

  async pruneExpired(): Promise<number> {
    return this.shared ? this.leases.pruneExpiredBefore(this.clock.now()) : 0;
  }
}
