import { type BeforeApplicationShutdown, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { Clock } from '../../common/time/clock';
import { AppConfig, type ProvisioningSettings } from '../../config/app-config';
import { IdGenerator } from '../../subscribers/id-generator';
import { ItemLease } from './item-lease';
import { ItemRunner } from './item-runner';
import { LedgerRepository } from './ledger.repository';
import type { LeasedClaim } from './ledger.types';

const SHUTDOWN_SLICE_MS = 50;

interface Running {
  lease: ItemLease;
  done: Promise<void>;
}

/**
 * The bounded pool of provisioning workers of this instance (PROVISIONING_CONCURRENCY items at once; 0: none).
 * Two loops:
 * - the dispatcher claims items while a slot is free (never one this pool still runs), and otherwise sleeps
 *   until the next poll or until woken (an item ended, a job was submitted);
 * - the renewer extends the leases of every item in flight every third of the lease, in one statement, on its
 *   own timer: filling 64 slots (two transactions each on PostgreSQL) can take a while, and renewals must not
 *   wait behind it. A renewal that finds an item taken over marks its lease lost, and the run stops.
 * There is no sweeper: the claim itself takes items whose lease expired. On shutdown it stops claiming and lets
 * the runs finish their current step for up to a lease (or half the shutdown budget), renewing meanwhile; runs
 * hand their item back between steps.
 */
@Injectable()
export class ProvisioningWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  /** Names this pool in `lease_owner` (diagnostics; the fence is what protects writes). */
  readonly owner: string;
  private readonly settings: ProvisioningSettings;
  private readonly shutdownTimeoutMs: number;
  /** Keyed by item id: a pool runs an item at most once at a time. */
  private readonly running = new Map<string, Running>();
  private stopping = false;
  private dispatcher: Promise<void> | undefined;
  private renewer: Promise<void> | undefined;
  private renewing = false;
  private readonly dispatcherWake = new Wake();
  private readonly renewerWake = new Wake();

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
      this.renewing = true;
      this.dispatcher = this.dispatch();
      this.renewer = this.renewLoop();
    }
  }

  /** New work was stored (a job submitted or retried, an item ended): look now rather than at the next poll. */
  wake(): void {
    this.dispatcherWake.ring();
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
    this.renewing = false;
    this.renewerWake.ring();
    await this.renewer;
  }

  private async dispatch(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.fillSlots();
      } catch (error) {
        this.logger.error({ err: error }, 'provisioning dispatcher failed; retrying at the next poll');
      }
      await this.dispatcherWake.wait(this.clock, this.settings.pollMs);
    }
  }

  private async fillSlots(): Promise<void> {
    while (!this.stopping && this.running.size < this.settings.concurrency) {
      const now = this.clock.nowMs();
      const claim = await this.ledger.claim(this.owner, now, now + this.settings.leaseMs, [
        ...this.running.keys(),
      ]);
      if (claim === null) {
        return;
      }
      this.start(claim);
    }
  }

  private start(claim: LeasedClaim): void {
    const lease = new ItemLease(claim, this.ledger, this.clock, this.settings.leaseMs);
    const done = this.runner
      .run(lease, () => this.stopping)
      .catch((error: unknown) => {
        // The item stays running until its lease lapses; then it is claimed again and resumes.
        this.logger.error({ err: error, itemId: claim.itemId }, 'provisioning item run failed');
      })
      .finally(() => {
        this.running.delete(claim.itemId);
        this.wake();
      });
    this.running.set(claim.itemId, { lease, done });
  }

  private async renewLoop(): Promise<void> {
    const every = Math.max(10, Math.floor(this.settings.leaseMs / 3));
    while (this.renewing) {
      await this.renewerWake.wait(this.clock, every);
      if (!this.renewing) {
        return;
      }
      try {
        await this.renewLeases();
      } catch (error) {
        this.logger.error({ err: error }, 'provisioning lease renewal failed; retrying at the next beat');
      }
    }
  }

  private async renewLeases(): Promise<void> {
    const leases = [...this.running.values()].map((run) => run.lease).filter((lease) => !lease.isLost);
    if (leases.length === 0) {
      return;
    }
    const now = this.clock.nowMs();
    const until = now + this.settings.leaseMs;
    const held = await this.ledger.renewLeases(
      leases.map((lease) => lease.claim),
      now,
      until,
    );
    for (const lease of leases) {
      lease.renewed(held.has(lease.claim.itemId) ? until : null);
    }
  }
}

/**
 * A sleep that can be cut short: `wait` resolves after `ms` or at the next `ring`, whichever comes first; a
 * ring while nobody waits is kept for the next wait (a wake-up is never lost between two looks).
 */
class Wake {
  private pending = false;
  private resolve: (() => void) | undefined;

  ring(): void {
    this.pending = true;
    this.resolve?.();
  }

  async wait(clock: Clock, ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return;
    }
    await new Promise<void>((resolve) => {
      this.resolve = resolve;
      void clock.sleep(Math.max(1, ms)).then(resolve);
    });
    this.resolve = undefined;
    this.pending = false;
  }
}
