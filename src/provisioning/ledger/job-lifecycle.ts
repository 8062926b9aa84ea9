import { Injectable } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { AuditService } from '../../audit/audit.service';
import { SYSTEM_ACTOR } from '../../audit/audit.types';
import { DomainEvents } from '../../common/events/domain-events';
import { Clock } from '../../common/time/clock';
import { LedgerRepository } from './ledger.repository';
import type { JobState } from './ledger.types';

/** Ends jobs once their last item ends, exactly once across workers and instances, and records the end. */
@Injectable()
export class JobLifecycle {
  constructor(
    private readonly ledger: LedgerRepository,
    private readonly audit: AuditService,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
    @InjectPinoLogger(JobLifecycle.name) private readonly logger: PinoLogger,
  ) {}

  /** Called after an item ended (or items were cancelled): ends the job if nothing is left to do. */
  async finishIfDone(jobId: string): Promise<JobState | null> {
    const now = this.clock.nowMs();
    const ended = await this.ledger.finishJobIfDone(jobId, now);
    if (ended === null) {
      return null;
    }
    const { state, totals, run } = ended;
    const summary = {
      state,
      run,
      ...totals.counts,
      vendorCalls: totals.vendorCalls,
      drifted: totals.drifted,
    };
    await this.ledger.appendEvents([{ jobId, itemId: null, type: 'job.finished', payload: summary }], now);
    this.events.emit({ type: 'provisioning_job.ended', jobId, state });
    this.logger.info({ jobId, job: summary }, 'provisioning job finished');
    try {
      await this.audit.record({
        actor: SYSTEM_ACTOR,
        action: 'provisioning.job.complete',
        target: `job=${jobId}`,
        outcome: state === 'succeeded' || state === 'cancelled' ? 'success' : 'failure',
        details: summary,
      });
    } catch (error) {
      // The job has ended either way; a missing audit row is logged rather than undoing it.
      this.logger.error({ err: error, jobId }, 'could not record the end of a provisioning job');
    }
    return state;
  }
}
