import { type BeforeApplicationShutdown, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { Clock } from '../../common/time/clock';
import { AppConfig, type ProvisioningSettings } from '../../config/app-config';
import { IdGenerator } from '../../subscribers/id-generator';
import { ItemRunner, type RunControl } from './item-runner';
import { LedgerRepository } from './ledger.repository';
import type { ItemClaim } from './ledger.types';

const SHUTDOWN_SLICE_MS = 50;

interface Running {
  claim: ItemClaim;
  control: RunControl;
  done: Promise<void>;
}

/**
 * The bounded pool of provisioning workers of this instance (PROVISIONING_CONCURRENCY items at once; 0: none).
 * One dispatcher claims items while a slot is free, renews the leases of the items in flight every third of
 * the lease (a renewal that affects nothing marks the run lost, and it stops), and otherwise sleeps until the
 * next poll or until woken (an item ended, a job was submitted). There is no sweeper: the claim itself takes
 * items whose lease expired. On shutdown it stops claiming and lets the runs finish their current step for up
 * to a lease (or half the shutdown budget); runs hand their item back between steps.
 */
@Injectable()
export class ProvisioningWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  /** Names this pool in `lease_owner` (diagnostics; the fence is what protects writes). */
  readonly owner: string;
  private readonly settings: ProvisioningSettings;
  private readonly shutdownTimeoutMs: number;
  private readonly running = new Map<string, Running>();
  private stopping = false;
  private dispatcher: Promise<void> | undefined;
  private wakePending = false;
  private wakeUp: (() => void) | undefined;
  private nextHeartbeatMs = 0;

  constructor(
    private readonly ledger: LedgerRepository,
    private readonly runner: ItemRunner,
    private readonly clock: Clock,
    config: AppConfig,
    ids: IdGenerator,
    @InjectPinoLogger(ProvisioningWorkers.name) private readonly logger: PinoLogger,
  ) {
    this.settings = config.provisioning;
    this.shutdownTimeoutMs = config.http.shutdownTimeoutMs;
    this.owner = `worker-${ids.newId()}`;
  }

  onApplicationBootstrap(): void {
    if (this.settings.concurrency > 0) {
      this.dispatcher = this.dispatch();
    }
  }

  /** New work was stored (a job submitted or retried, an item ended): look now rather than at the next poll. */
  wake(): void {
    this.wakePending = true;
    this.wakeUp?.();
  }

  /** Items this pool is working on. */
  get inFlight(): number {
    return this.running.size;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.dispatcher;
    if (this.running.size > 0) {
      this.logger.info({ inFlight: this.running.size }, 'provisioning: waiting for in-flight steps');
    }
    // Short sleeps rather than one long one: no timer outlives the wait and holds the process open. Half the
    // shutdown budget at most, so the rest of the shutdown still fits before the process is made to exit.
    const deadline = this.clock.nowMs() + Math.min(this.settings.leaseMs, this.shutdownTimeoutMs / 2);
    while (this.running.size > 0 && this.clock.nowMs() < deadline) {
      await Promise.race([
        Promise.allSettled([...this.running.values()].map((run) => run.done)),
        this.clock.sleep(SHUTDOWN_SLICE_MS),
      ]);
    }
  }

  private async dispatch(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.fillSlots();
        await this.renewLeasesIfDue();
      } catch (error) {
        this.logger.error({ err: error }, 'provisioning dispatcher failed; retrying at the next poll');
      }
      await this.idle();
    }
  }

  private async fillSlots(): Promise<void> {
    while (!this.stopping && this.running.size < this.settings.concurrency) {
      const now = this.clock.nowMs();
      const claim = await this.ledger.claim(this.owner, now, now + this.settings.leaseMs);
      if (claim === null) {
        return;
      }
      this.start(claim);
    }
  }

  private start(claim: ItemClaim): void {
    // Keyed by fence too: after a lost lease this pool may hold a newer claim of the same item.
    const key = `${claim.itemId}:${claim.fence}`;
    const control: RunControl = {
      lost: false,
      stopping: () => this.stopping,
      leaseUntil: this.clock.nowMs() + this.settings.leaseMs,
    };
    const done = this.runner
      .run(claim, control)
      .catch((error: unknown) => {
        // The item stays running until its lease lapses; then it is claimed again and resumes.
        this.logger.error({ err: error, itemId: claim.itemId }, 'provisioning item run failed');
      })
      .finally(() => {
        this.running.delete(key);
        this.wake();
      });
    this.running.set(key, { claim, control, done });
  }

  private async renewLeasesIfDue(): Promise<void> {
    const now = this.clock.nowMs();
    if (now < this.nextHeartbeatMs) {
      return;
    }
    this.nextHeartbeatMs = now + this.heartbeatEveryMs;
    await Promise.all(
      [...this.running.values()].map(async ({ claim, control }) => {
        if (await this.ledger.heartbeat(claim, now, now + this.settings.leaseMs)) {
          control.leaseUntil = Math.max(control.leaseUntil, now + this.settings.leaseMs);
        } else {
          control.lost = true;
        }
      }),
    );
  }

  private get heartbeatEveryMs(): number {
    return Math.max(10, Math.floor(this.settings.leaseMs / 3));
  }

  private async idle(): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return;
    }
    const untilHeartbeat = this.running.size > 0 ? this.nextHeartbeatMs - this.clock.nowMs() : Infinity;
    const wait = Math.max(1, Math.min(this.settings.pollMs, untilHeartbeat));
    await new Promise<void>((resolve) => {
      this.wakeUp = resolve;
      void this.clock.sleep(wait).then(resolve);
    });
    this.wakeUp = undefined;
    this.wakePending = false;
  }
}
