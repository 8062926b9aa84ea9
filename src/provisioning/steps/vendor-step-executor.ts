import { Injectable } from '@nestjs/common';

import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { answeredAlreadyExists, type VendorError } from '../../ipaas/vendor-error';
import {
  type Subscriber,
  type SubscriberStatus,
  SubscribersService,
} from '../../subscribers/subscribers.service';
import { fingerprint } from './fingerprint';
import { STEP_HANDLERS } from './handlers';
import { hasActiveRoleShare } from './handlers/relationship.steps';
import type { AnyStepHandler } from './handlers/step-handler';
import { type PlannedAction, type PlannedStep, StepExecutor, type StepOutcome } from './step.types';
import type { StepReadCache } from './step-read-cache';
import { StepRun } from './step-run';
import { StepServices } from './step-services';

/** Registry states on the way to `active`: what the vendor grants next is the MiSP's access. */
const OPENING_STATUSES: readonly SubscriberStatus[] = ['requested', 'approved', 'role_share_pending'];

const OUTCOMES: Record<PlannedAction, StepOutcome['action']> = {
  create: 'created',
  update: 'updated',
  noop: 'noop',
};

/**
 * Ensures one step: reads the resource, then creates, updates or leaves it. The read always comes first in
 * the same attempt, so a step run again after a crash finds what the lost attempt created and does nothing;
 * creates also pass the client a landed check, so a POST retried after a timeout is not sent twice.
 *
 * Vendor calls per step (no retries; list reads are one page of 100; "shared" reads are made once per item
 * attempt when the ledger passes a StepReadCache, else once per step):
 *
 * | kind            | reads                                                        | writes (create / update / noop) |
 * | --------------- | ------------------------------------------------------------ | ------------------------------- |
 * | approve_request | 1 MiSP list of pending requests                              | 1 PUT approve / - / 0           |
 * | role_share      | 1 MiSP role share list, shared (all companies: ⌈shares/100⌉) | 1 POST / - / 0                  |
 * | role            | 1 role list, shared                                          | 1 POST / 1 PUT / 0              |
 * | user            | 1 user list, shared; + 1 role list, shared, if roles named   | 1 POST (+1 PUT if the person already had other names) / 1 PUT / 0 |
 * | persistent_data | 1 GET subscription (+ 1 subscription list, shared, for "all") | 1 POST per subscription that differs |
 * | customer        | 1 filtered customer list (by email)                          | 1 POST / 1 PUT / 0              |
 *
 * A create retried after an ambiguous failure adds its landed check (one list read); a create answered "already
 * exists" adds the fresh read of its adoption (and the update, if the adopted resource differs). Per company, the token
 * mint (ChangeCompany) adds 1 call when no fresh company token is held. The bench template (1 user without
 * roles + 1 customer + 1 persistent data on one subscription) is 7 calls for a new company: mint 1, user 2,
 * customer 2, persistent data 2; a re-run is 3 reads and no writes (plus the mint if the token expired).
 */
@Injectable()
export class VendorStepExecutor extends StepExecutor {
  constructor(private readonly services: StepServices) {
    super();
  }

  async execute(
    subscriber: Subscriber,
    step: PlannedStep,
    options: {
      expectedObserved?: string | null;
      readCache?: StepReadCache;
      beforeWrite?: () => Promise<void>;
    },
  ): Promise<StepOutcome> {
    SubscribersService.refuseWhenHalted(subscriber);
    const handler = STEP_HANDLERS[step.kind];
    const run = new StepRun(subscriber, this.services, options.readCache, options.beforeWrite);
    const observation = await handler.observe(run, step.desired);
    const decision = handler.decide(step.desired, observation);
    const observed = fingerprint(handler.observedFields(observation, step.desired));
    let action = OUTCOMES[decision.action];
    if (decision.action !== 'noop') {
      try {
        await handler.apply(run, step.desired, observation);
      } catch (error) {
        if (decision.action !== 'create' || !alreadyDone(handler, error)) {
          throw error;
        }
        await this.adopt(handler, run, step, observation, error);
        action = 'adopted';
      }
    }
    return {
      action,
      // A resource already as desired is no drift, whoever brought it there (e.g. a lost earlier attempt).
      drift:
        decision.action !== 'noop' &&
        options.expectedObserved !== undefined &&
        observed !== options.expectedObserved,
      vendorCalls: run.calls,
      // The client does not hand back vendor request ids yet (iPaaS.com documents none; see ipaas-client.ts).
      vendorRequestIds: [],
    };
  }

  async companyOpen(
    subscriber: Subscriber,
    options: { readCache?: StepReadCache; sharesRequested: boolean },
  ): Promise<boolean> {
    if (subscriber.status === 'active' && !options.sharesRequested) {
      return true;
    }
    const run = new StepRun(subscriber, this.services, options.readCache);
    if (!(await hasActiveRoleShare(run))) {
      return false;
    }
    await run.advanceStatus(OPENING_STATUSES, 'active', 'activate');
    return true;
  }

  /**
   * The vendor answered the create "already exists" for something the step's read did not see: an earlier
   * attempt's create that landed unrecorded, another worker, or another actor. That is the desired outcome,
   * not a failure: read the resource again (fresh, past any read this attempt shared), take it as this step's
   * own, and update what differs from the desired state. If the fresh read still does not find it, the vendor
   * contradicts itself and the step fails with the vendor's message.
   */
  private async adopt(
    handler: AnyStepHandler,
    run: StepRun,
    step: PlannedStep,
    before: unknown,
    refusal: VendorError,
  ): Promise<void> {
    run.forgetReads();
    const fresh =
      handler.reobserve === undefined
        ? await handler.observe(run, step.desired)
        : await handler.reobserve(run, step.desired, before);
    const again = handler.decide(step.desired, fresh);
    if (again.action === 'create') {
      throw new AppError(
        ErrorCode.VENDOR_CONFLICT_UNRESOLVED,
        `iPaaS.com answered the ${step.kind} create for ${step.key} with "${refusal.message}", but it is not there when read again`,
        { extensions: { vendor: { code: refusal.details.vendorCode, status: refusal.status } } },
      );
    }
    if (again.action === 'update') {
      await handler.apply(run, step.desired, fresh);
    }
    await handler.adopted?.(run, step.desired);
  }
}

function alreadyDone(handler: AnyStepHandler, error: unknown): error is VendorError {
  return (
    answeredAlreadyExists(error) ||
    (handler.alreadyDoneCodes !== undefined &&
      answeredAlreadyExists(error, new Set(handler.alreadyDoneCodes)))
  );
}
