import type { StepKind } from '../step.types';
import { customerStep } from './customer.step';
import { persistentDataStep } from './persistent-data.step';
import { approveRequestStep, roleShareStep } from './relationship.steps';
import { roleStep } from './role.step';
import type { AnyStepHandler } from './step-handler';
import { userStep } from './user.step';

export const STEP_HANDLERS: Record<StepKind, AnyStepHandler> = {
  approve_request: approveRequestStep,
  role_share: roleShareStep,
  role: roleStep,
  user: userStep,
  persistent_data: persistentDataStep,
  customer: customerStep,
};
