import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { IpaasClient } from '../ipaas/ipaas-client';
import { ClusterLeases } from './cluster-leases.service';

/** How often an instance renews its heartbeat and re-reads how many instances are live. */
export const HEARTBEAT_MS = 2000;
/** A heartbeat not renewed for this long counts as a dead instance. */
export const INSTANCE_TTL_MS = 3 * HEARTBEAT_MS;

/**
 * One vendor budget for the whole fleet: every instance keeps a heartbeat lease and applies 1/N of the
 * configured vendor limits, N being the live instances. A lease-based share rather than a limiter in the
 * database: a shared limiter would cost a database round trip per vendor call (hundreds per second), while a
 * share costs one statement per heartbeat. The price: after an instance joins, the others notice within one
 * heartbeat (until then the fleet may exceed the budget); after one dies, the others take over its share once its
 * heartbeat expires (until then the fleet under-uses it). On SQLite there is one instance: share 1, no timer.
 */
@Injectable()
export class FleetMembership implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> = Promise.resolve();
  /** Live instances at the last heartbeat (this one included), to log when the fleet size changes. */
  private live = 1;

  constructor(
    private readonly leases: ClusterLeases,
    private readonly client: IpaasClient,
    @InjectPinoLogger(FleetMembership.name) private readonly logger: PinoLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.leases.shared) {
      return;
    }
    // The first beat happens before the instance takes any work, so it never starts on a full share.
    await this.beat();
    this.timer = setInterval(() => {
      this.beating = this.beating.then(() => this.beat());
    }, HEARTBEAT_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
    await this.leases.release(this.heartbeatName).catch(() => undefined);
  }

  private get heartbeatName(): string {
    return `instance:${this.leases.instanceId}`;
  }

  private async beat(): Promise<void> {
    try {
      await this.leases.acquire(this.heartbeatName, INSTANCE_TTL_MS);
      const live = Math.max(1, await this.leases.liveInstances());
      if (live !== this.live) {
        this.logger.info({ instances: live, share: 1 / live }, 'fleet size changed: vendor budget re-shared');
      }
      this.live = live;
      this.client.scheduler.setShare(1 / live);
    } catch (error) {
      // Keep the last share: a database blip must not hand this instance the whole budget.
      this.logger.warn({ err: error }, 'heartbeat failed; keeping the current vendor budget share');
    }
  }
}
