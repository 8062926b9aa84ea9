import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob, CronTime } from 'cron';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { ClusterLeases } from '../cluster/cluster-leases.service';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { type Subscriber, SubscribersService } from '../subscribers/subscribers.service';
import { HealthCheckService } from './health-check.service';
import { HealthChecksRepository } from './health-checks.repository';

export const HEALTH_SWEEP_JOB = 'health-checks.sweep';
const DAY_MS = 24 * 60 * 60 * 1000;
/** Checks are spread over this share of the interval, so a sweep ends before the next fire time. */
const SPREAD_SHARE = 0.8;
/** Held (and renewed) by the instance running a scheduled sweep; lapses soon after that instance dies. */
const SWEEP_RUNNING_LEASE = 'running:health-checks.sweep';
const SWEEP_RUNNING_TTL_MS = 60_000;
/** Subscriber rows read per query during a sweep. */
const SWEEP_PAGE_SIZE = 200;

export interface SweepSummary {
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
  companies: number;
  checked: number;
  vendorCalls: number;
}

/** The next `count` fire times of a cron expression (UTC) strictly after `from`. */
export function nextFireTimes(cron: string, from: Date, count: number): Date[] {
  const time = new CronTime(cron, 'UTC');
  const fires: Date[] = [];
  let cursor = from;
  for (let index = 0; index < count; index += 1) {
    cursor = time.getNextDateFrom(cursor, 'UTC').toJSDate();
    fires.push(cursor);
  }
  return fires;
}

/**
 * The fire time a cron firing at about `now` stands for (the latest one at or before `now` plus a second of
 * timer lateness), so instances whose timers fire a few ms apart name the same tick.
 */
export function currentFireTime(cron: string, now: Date): Date {
  const time = new CronTime(cron, 'UTC');
  const limit = now.getTime() + 1000;
  let cursor = new Date(now.getTime() - 60 * 60 * 1000);
  let latest: Date | null = null;
  for (;;) {
    const next = time.getNextDateFrom(cursor, 'UTC').toJSDate();
    if (next.getTime() > limit) {
      return latest ?? new Date(Math.floor(now.getTime() / 1000) * 1000);
    }
    latest = next;
    cursor = next;
  }
}

/**
 * Start offsets (ms after the sweep starts) of `count` checks spread over `windowMs`: one equal slot per
 * company, at a random point inside its slot, so checks neither bunch up nor fire on a fixed beat.
 */
export function sweepOffsets(count: number, windowMs: number, random: () => number = Math.random): number[] {
  if (count === 0 || windowMs <= 0) {
    return new Array<number>(count).fill(0);
  }
  const slot = windowMs / count;
  return Array.from({ length: count }, (_, index) => Math.floor(index * slot + random() * slot));
}

/**
 * The sweep's subscriber rows, read a page at a time as the workers reach them (one read per page instead of
 * one per check) and dropped once every row of the page was taken, so memory stays at a few pages.
 */
class SubscriberPages {
  private readonly pages = new Map<number, { rows: Promise<Map<string, Subscriber>>; left: number }>();

  constructor(
    private readonly ids: readonly string[],
    private readonly read: (ids: readonly string[]) => Promise<Subscriber[]>,
  ) {}

  /** The row of `ids[index]`, or undefined when it is gone (the check then reads it and reports that). */
  async take(index: number): Promise<Subscriber | undefined> {
    const number = Math.floor(index / SWEEP_PAGE_SIZE);
    let page = this.pages.get(number);
    if (page === undefined) {
      const ids = this.ids.slice(number * SWEEP_PAGE_SIZE, (number + 1) * SWEEP_PAGE_SIZE);
      const rows = this.read(ids).then((found) => new Map(found.map((row) => [row.id, row])));
      page = { rows, left: ids.length };
      this.pages.set(number, page);
    }
    page.left -= 1;
    if (page.left === 0) {
      this.pages.delete(number);
    }
    return (await page.rows.catch(() => new Map<string, Subscriber>())).get(this.ids[index]);
  }
}

/**
 * Sweeps: every active subscriber checked once, spread over the interval (scheduled sweeps) or as fast as
 * the bounded concurrency allows (on demand). Never two at once: a sweep due while one runs is skipped.
 * The checks' reads draw on the same vendor rate limit as provisioning at low priority (the CallScheduler
 * admits them only when no normal call can take the slot); the token mints a check may trigger are MiSP
 * calls at normal priority.
 */
@Injectable()
export class HealthSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private running: Promise<void> | undefined;
  private lastSweep: SweepSummary | null = null;
  private lastPruneMs = Number.NEGATIVE_INFINITY;
  private stopped = false;

  constructor(
    private readonly checks: HealthCheckService,
    private readonly repository: HealthChecksRepository,
    private readonly subscribers: SubscribersService,
    private readonly leases: ClusterLeases,
    private readonly registry: SchedulerRegistry,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    @InjectPinoLogger(HealthSweeper.name) private readonly logger: PinoLogger,
  ) {}

  /** Jitter source; tests replace it. */
  random: () => number = Math.random;

  onApplicationBootstrap(): void {
    const job = CronJob.from({
      cronTime: this.config.healthChecks.cron,
      timeZone: 'UTC',
      onTick: () => void this.onTick(),
    });
    this.registry.addCronJob(HEALTH_SWEEP_JOB, job);
    job.start();
  }

  /**
   * A cron firing. With several instances on one database each one's cron fires, and exactly one claims the
   * tick and sweeps; if the holder dies, the next tick goes to a live instance.
   */
  async onTick(): Promise<void> {
    const cron = this.config.healthChecks.cron;
    const fired = currentFireTime(cron, this.clock.now());
    try {
      if (!(await this.leases.claimTick(HEALTH_SWEEP_JOB, fired))) {
        this.logger.debug({ fired }, 'health sweep tick taken by another instance');
        return;
      }
      await this.leases.pruneExpired();
      if (this.running !== undefined) {
        // Checked before the lease below, which this instance would simply renew while it holds it.
        this.logger.warn({ fired }, 'health sweep skipped: the previous sweep is still running');
        return;
      }
      // No overlap across the fleet either: a sweep still running elsewhere holds this lease.
      if (!(await this.leases.acquire(SWEEP_RUNNING_LEASE, SWEEP_RUNNING_TTL_MS))) {
        this.logger.warn({ fired }, 'health sweep skipped: another instance is still sweeping');
        return;
      }
    } catch (error) {
      this.logger.error({ err: error }, 'health sweep tick not claimed');
      return;
    }
    this.logger.info({ fired, instance: this.leases.instanceId }, 'health sweep tick claimed');
    const [next] = nextFireTimes(cron, this.clock.now(), 1);
    this.start(Math.max(0, (next.getTime() - this.clock.nowMs()) * SPREAD_SHARE));
    const renewal = setInterval(() => {
      void this.leases.acquire(SWEEP_RUNNING_LEASE, SWEEP_RUNNING_TTL_MS).catch(() => undefined);
    }, SWEEP_RUNNING_TTL_MS / 3);
    void this.current?.then(async () => {
      clearInterval(renewal);
      await this.leases.release(SWEEP_RUNNING_LEASE).catch(() => undefined);
    });
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.registry.doesExist('cron', HEALTH_SWEEP_JOB)) {
      this.registry.deleteCronJob(HEALTH_SWEEP_JOB);
    }
  }

  /** Starts a sweep spread over `spreadMs`; false (and a log line) when one is already running. */
  start(spreadMs: number): boolean {
    if (this.running !== undefined) {
      this.logger.warn('health sweep skipped: the previous sweep is still running');
      return false;
    }
    this.running = this.sweep(spreadMs)
      .catch((error: unknown) => this.logger.error({ err: error }, 'health sweep failed'))
      .finally(() => (this.running = undefined));
    return true;
  }

  /** The sweep in progress, if any (tests and the bench wait on it). */
  get current(): Promise<void> | undefined {
    return this.running;
  }

  get summary(): SweepSummary | null {
    return this.lastSweep;
  }

  /** For /readyz: the cron job is registered and running. */
  status(): { up: boolean; cron: string; nextRunAt: string | null; sweepRunning: boolean } {
    const exists = this.registry.doesExist('cron', HEALTH_SWEEP_JOB);
    const job = exists ? this.registry.getCronJob(HEALTH_SWEEP_JOB) : undefined;
    return {
      up: job?.isActive === true,
      cron: this.config.healthChecks.cron,
      nextRunAt: job?.isActive === true ? (job.nextDate().toISO() ?? null) : null,
      sweepRunning: this.running !== undefined,
    };
  }

  private async checkOne(
    subscriberId: string,
    row: Subscriber | undefined,
    summary: SweepSummary,
    counted = true,
  ): Promise<void> {
    try {
      const outcome = await this.checks.check(subscriberId, row);
      summary.vendorCalls += outcome.vendorCalls;
      summary.checked += counted ? 1 : 0;
    } catch (error) {
      // Removed or halted since the list was read: nothing to check.
      this.logger.debug({ err: error, subscriberId }, 'health check not run');
    }
  }

  /** Deletes history older than HEALTH_HISTORY_DAYS, at most once a day. */
  async pruneIfDue(): Promise<number> {
    const now = this.clock.nowMs();
    if (now - this.lastPruneMs < DAY_MS) {
      return 0;
    }
    this.lastPruneMs = now;
    return this.repository.pruneBefore(new Date(now - this.config.healthChecks.historyDays * DAY_MS));
  }

  private async sweep(spreadMs: number): Promise<void> {
    const startedMs = this.clock.nowMs();
    await this.pruneIfDue();
    // The MiSP list (many pages, read one after another) is read while the checks run rather than before
    // them, so the sweep does not idle meanwhile; checks that finish first use the previous list, and those
    // of companies the new list leaves out are run again once it is in (see below).
    let listingRead = false;
    const listing = this.checks.refreshMispListing().finally(() => (listingRead = true));
    const checkedBeforeListing: Subscriber[] = [];
    const ids = await this.repository.activeSubscriberIds();
    const offsets = sweepOffsets(ids.length, spreadMs, this.random);
    const summary: SweepSummary = {
      startedAt: new Date(startedMs),
      finishedAt: null,
      durationMs: null,
      companies: ids.length,
      checked: 0,
      vendorCalls: 0,
    };
    this.lastSweep = summary;
    const rows = new SubscriberPages(ids, (page) => this.subscribers.getMany(page));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (!this.stopped && next < ids.length) {
        const index = next++;
        const wait = startedMs + offsets[index] - this.clock.nowMs();
        if (wait > 0) {
          await this.clock.sleep(wait);
        }
        const row = await rows.take(index);
        if (row !== undefined && !listingRead) {
          checkedBeforeListing.push(row);
        }
        await this.checkOne(ids[index], row, summary);
      }
    };
    const workers = Math.min(this.config.healthChecks.concurrency, Math.max(ids.length, 1));
    await Promise.all(Array.from({ length: workers }, worker));
    await listing;
    for (const row of checkedBeforeListing.filter((early) => this.checks.isUnlisted(early))) {
      await this.checkOne(row.id, undefined, summary, false);
    }
    summary.finishedAt = this.clock.now();
    summary.durationMs = this.clock.nowMs() - startedMs;
    this.logger.info(summary, 'health sweep finished');
  }
}
