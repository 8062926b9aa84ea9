import { Injectable } from '@nestjs/common';

import { type Subscriber, SubscribersService } from '../../subscribers/subscribers.service';
import type { RenderedTemplateSpec } from '../templates/template-spec';
import { fingerprint } from './fingerprint';
import { STEP_HANDLERS } from './handlers';
import { hasActiveRoleShare } from './handlers/relationship.steps';
import {
  type PlannedStep,
  RELATIONSHIP_KINDS,
  type RenderedSpec,
  type StepKind,
  StepPlanner,
} from './step.types';
import { StepRun } from './step-run';
import { StepServices } from './step-services';

type StepDraft = Pick<PlannedStep, 'kind' | 'key' | 'desired'>;

const lower = (text: string): string => text.trim().toLowerCase();
const draft = (kind: StepKind, key: string, desired: object): StepDraft => ({
  kind,
  key,
  desired: { ...desired },
});

/** One step per desired resource, in the order they depend on each other (users need role ids). */
function draftSteps(spec: RenderedTemplateSpec): StepDraft[] {
  const { relationship, roles = [], users = [], persistentData = [], customers = [] } = spec;
  return [
    ...(relationship?.approveRequest === true
      ? [draft('approve_request', 'relationship:approve_request', {})]
      : []),
    ...(relationship?.roleShares ?? []).map((share) =>
      draft('role_share', `role_share:${share.roleId}`, share),
    ),
    ...roles.map((role) => draft('role', `role:${lower(role.name)}`, role)),
    ...users.map((user) => draft('user', `user:${lower(user.email)}`, user)),
    ...persistentData.map((item) =>
      draft('persistent_data', `persistent_data:${item.subscription}:${item.name}`, item),
    ),
    ...customers.map((customer) => draft('customer', `customer:${lower(customer.email)}`, customer)),
  ];
}

/**
 * Plans a company against iPaaS.com. Reads are shared across the company's steps (one list per resource
 * kind), so a step's estimate includes a list read only if it is the first step needing it; apply shares the
 * same reads when the ledger passes one StepReadCache per item attempt.
 */
@Injectable()
export class VendorStepPlanner extends StepPlanner {
  constructor(private readonly services: StepServices) {
    super();
  }

  outline(rendered: RenderedSpec): PlannedStep[] {
    const read = new Set<string>();
    return draftSteps(rendered as RenderedTemplateSpec).map((step, index) => {
      const reads = STEP_HANDLERS[step.kind].readKeys(step.desired).filter((key) => !read.has(key));
      reads.forEach((key) => read.add(key));
      // Without reading, assume the resource is missing: its reads plus one create.
      return { index, ...step, action: null, estimatedCalls: reads.length + 1 };
    });
  }

  async planCompany(subscriber: Subscriber, rendered: RenderedSpec): Promise<PlannedStep[]> {
    SubscribersService.refuseWhenHalted(subscriber);
    const run = new StepRun(subscriber, this.services);
    const planned: PlannedStep[] = [];
    let reachable = true;
    let relationshipPlanned = false;
    for (const step of this.outline(rendered)) {
      const relationship = RELATIONSHIP_KINDS.has(step.kind);
      if (!relationship && !relationshipPlanned) {
        relationshipPlanned = true;
        // Role shares are only requested here: the company opens to the MiSP once one is active.
        if (planned.some((done) => done.kind === 'role_share')) {
          reachable &&= await hasActiveRoleShare(run);
        }
      }
      if (!relationship && !reachable) {
        // The MiSP cannot act in the company before the relationship is in place: nothing to read yet.
        planned.push(step);
        continue;
      }
      const handler = STEP_HANDLERS[step.kind];
      const callsBefore = run.calls;
      const observation = await handler.observe(run, step.desired);
      const decision = handler.decide(step.desired, observation);
      if (step.kind === 'approve_request' && decision.action !== 'noop') {
        reachable = false;
      }
      const reads = run.calls - callsBefore;
      planned.push({
        ...step,
        action: decision.action,
        observed: fingerprint(handler.observedFields(observation, step.desired)),
        estimatedCalls: reads + decision.writes,
        readCalls: reads,
      });
    }
    return planned;
  }
}
