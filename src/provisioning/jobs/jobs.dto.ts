import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
  type ValidationArguments,
  ValidateBy,
} from 'class-validator';

import { IsDisplayName } from '../../common/http/is-display-name';
import { Optional } from '../../common/http/optional';

import { PaginationQueryDto } from '../../common/http/pagination';
import {
  ITEM_STATES,
  STEP_STATES,
  type ItemState,
  JOB_MODES,
  type JobMode,
  JOB_STATES,
  type JobState,
  WAIT_REASONS,
  type WaitReason,
} from '../ledger/ledger.types';
import { STEP_KINDS } from '../steps/step.types';

export const MAX_JOB_ROWS = 10_000;
const MAX_VARS = 50;
const MAX_VAR_VALUE = 1000;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** `{ NAME: "value" }`: at most 50 variables, names like identifiers, values strings of up to 1000 characters. */
function IsVariableMap(): PropertyDecorator {
  return ValidateBy({
    name: 'isVariableMap',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        Object.keys(value).length <= MAX_VARS &&
        Object.entries(value).every(
          ([name, text]) => VAR_NAME.test(name) && typeof text === 'string' && text.length <= MAX_VAR_VALUE,
        ),
      defaultMessage: (args?: ValidationArguments) =>
        `${args?.property ?? 'vars'} must map up to ${MAX_VARS} variable names (letters, digits, _) to strings of up to ${MAX_VAR_VALUE} characters`,
    },
  });
}

export class JobRowDto {
  @ApiPropertyOptional({ description: 'A registered subscriber (or give ipaasCompanyId)', format: 'uuid' })
  @Optional()
  @IsUUID()
  subscriberId?: string;

  @ApiPropertyOptional({
    description:
      'The company id at iPaaS.com; one not registered yet is registered (it must be listed by iPaaS.com for ' +
      "the MiSP, and starts in the vendor's status)",
    example: '9f3c1a52-7d0e-4b8a-a1f4-2c6b9e0d7a31',
  })
  @Optional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, {
    message: 'ipaasCompanyId must be 1-64 of A-Z a-z 0-9 . _ : - (starting with a letter or digit)',
  })
  ipaasCompanyId?: string;

  @ApiPropertyOptional({
    description: 'Name of a company registered on the way',
    minLength: 1,
    maxLength: 200,
  })
  @Optional()
  @Length(1, 200)
  @IsDisplayName()
  name?: string;

  @ApiPropertyOptional({
    description: "The row's template variables (`{{vars.NAME}}`)",
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { region: 'eu-west' },
  })
  @Optional()
  @IsVariableMap()
  vars?: Record<string, string>;
}

export class JobOptionsDto {
  @ApiPropertyOptional({
    description: 'Validate the whole request and answer 200 with what would be stored; nothing is stored',
  })
  @Optional()
  @IsBoolean()
  dryRun?: boolean;

  @ApiPropertyOptional({
    description: 'Most companies of this job worked on at once, across instances',
    minimum: 1,
    maximum: 1000,
  })
  @Optional()
  @IsInt()
  @Min(1)
  @Max(1000)
  concurrency?: number;
}

export class CreateJobDto {
  @ApiProperty({ format: 'uuid', description: 'A template version (GET /v1/provisioning/templates)' })
  @IsUUID()
  templateId!: string;

  @ApiProperty({ enum: JOB_MODES, description: 'plan: read and record what would change; apply: make it so' })
  @IsIn(JOB_MODES)
  mode!: JobMode;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'apply only: execute exactly the steps of this finished plan job (drift is flagged)',
  })
  @Optional()
  @IsUUID()
  planId?: string;

  @ApiPropertyOptional({
    type: [JobRowDto],
    maxItems: MAX_JOB_ROWS,
    description: 'One row per company (required unless planId is given: then the plan’s companies)',
  })
  @Optional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_JOB_ROWS)
  @ValidateNested({ each: true })
  @Type(() => JobRowDto)
  subscribers?: JobRowDto[];

  @ApiPropertyOptional({ type: JobOptionsDto })
  @Optional()
  @ValidateNested()
  @Type(() => JobOptionsDto)
  options?: JobOptionsDto;
}

export class ItemCountsDto {
  @ApiProperty()
  total!: number;

  @ApiProperty()
  pending!: number;

  @ApiProperty({ description: 'Waiting for the subscriber to grant the MiSP access (see waitReason)' })
  waiting!: number;

  @ApiProperty()
  running!: number;

  @ApiProperty()
  succeeded!: number;

  @ApiProperty()
  failed!: number;

  @ApiProperty({ description: 'Suspended or offboarded company, monthly quota used up, or circuit open' })
  skipped!: number;

  @ApiProperty()
  cancelled!: number;
}

export class PlanSummaryDto {
  @ApiProperty({ description: 'Steps that create a resource' })
  create!: number;

  @ApiProperty()
  update!: number;

  @ApiProperty()
  noop!: number;

  @ApiProperty({ description: 'Steps outlined without reading the vendor (apply without a plan)' })
  unplanned!: number;

  @ApiProperty({ description: 'Vendor calls the steps are expected to make' })
  estimatedCalls!: number;

  @ApiProperty({ description: 'Seconds those calls take at the configured rate limits' })
  estimatedSeconds!: number;
}

export class JobResponseDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  templateId!: string;

  @ApiProperty()
  templateVersion!: number;

  @ApiProperty({ enum: JOB_MODES })
  mode!: JobMode;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  planId!: string | null;

  @ApiProperty({ enum: JOB_STATES })
  state!: JobState;

  @ApiProperty({ type: JobOptionsDto })
  options!: JobOptionsDto;

  @ApiProperty({ type: ItemCountsDto })
  counts!: ItemCountsDto;

  @ApiProperty({ description: 'iPaaS.com calls made so far' })
  vendorCalls!: number;

  @ApiProperty({ description: 'Items whose vendor state differed from the plan' })
  drifted!: number;

  @ApiProperty({ description: 'Vendor calls per second since the job started' })
  throughputPerSecond!: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Seconds until the job ends (estimate); null: unknown',
  })
  etaSeconds!: number | null;

  @ApiPropertyOptional({ type: PlanSummaryDto, description: 'The planned steps (single job reads only)' })
  plan?: PlanSummaryDto;

  @ApiProperty({ description: 'Who submitted it (email or key name)' })
  createdBy!: string;

  @ApiProperty()
  createdAt!: Date;

  @ApiProperty({ type: Date, nullable: true })
  startedAt!: Date | null;

  @ApiProperty({ type: Date, nullable: true })
  finishedAt!: Date | null;

  @ApiProperty()
  updatedAt!: Date;
}

export class DryRunResponseDto {
  @ApiProperty({ description: 'Always true: an invalid request is answered 400 with every bad row' })
  valid!: boolean;

  @ApiProperty()
  rows!: number;

  @ApiProperty({ description: 'Companies that would be registered as new subscribers' })
  newSubscribers!: number;

  @ApiProperty({ type: PlanSummaryDto })
  plan!: PlanSummaryDto;
}

export class RecordedErrorDto {
  @ApiProperty({ example: 'VENDOR_UNAVAILABLE' })
  code!: string;

  @ApiProperty()
  message!: string;
}

export class StepResponseDto {
  @ApiProperty()
  index!: number;

  @ApiProperty({ enum: STEP_KINDS })
  kind!: string;

  @ApiProperty({ example: 'user:alice@example.test' })
  key!: string;

  @ApiProperty({ type: String, nullable: true, enum: ['create', 'update', 'noop'] })
  plannedAction!: string | null;

  @ApiProperty({ enum: STEP_STATES, description: "`planned`: a plan job's step (read, never applied)" })
  state!: string;

  @ApiProperty({ type: String, nullable: true, enum: ['created', 'updated', 'noop', 'adopted'] })
  resultAction!: string | null;

  @ApiProperty()
  attempts!: number;

  @ApiProperty()
  vendorCalls!: number;

  @ApiProperty({ type: [String] })
  vendorRequestIds!: string[];

  @ApiProperty()
  drift!: boolean;

  @ApiProperty({ type: RecordedErrorDto, nullable: true })
  lastError!: RecordedErrorDto | null;
}

export class ItemResponseDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ description: 'Position of the company in the request (0-based)' })
  rowIndex!: number;

  @ApiProperty({ format: 'uuid' })
  subscriberId!: string;

  @ApiProperty({ enum: ITEM_STATES })
  state!: ItemState;

  @ApiProperty()
  attempts!: number;

  @ApiProperty({ type: Number, nullable: true })
  currentStep!: number | null;

  @ApiProperty({ type: RecordedErrorDto, nullable: true })
  lastError!: RecordedErrorDto | null;

  @ApiProperty({ type: String, nullable: true, example: 'SUBSCRIBER_INACTIVE' })
  skipReason!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    enum: WAIT_REASONS,
    description: 'Why a waiting item waits (relationship_pending: its role share is not active yet)',
  })
  waitReason!: WaitReason | null;

  @ApiProperty({
    type: Date,
    nullable: true,
    description: 'When a waiting item gives up (RELATIONSHIP_NOT_ACTIVE); set from its first wait',
  })
  waitUntil!: Date | null;

  @ApiProperty()
  vendorCalls!: number;

  @ApiProperty()
  drift!: boolean;

  @ApiProperty({
    type: Date,
    nullable: true,
    description: 'When a pending or waiting item is looked at next',
  })
  nextAttemptAt!: Date | null;

  @ApiProperty({ type: Date, nullable: true })
  startedAt!: Date | null;

  @ApiProperty({ type: Date, nullable: true })
  finishedAt!: Date | null;

  @ApiProperty({ type: [StepResponseDto] })
  steps!: StepResponseDto[];
}

export class ListItemsQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ enum: ITEM_STATES })
  @Optional()
  @IsIn(ITEM_STATES)
  state?: ItemState;
}

export const REPORT_FORMATS = ['json', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export class ReportQueryDto {
  @ApiPropertyOptional({ enum: REPORT_FORMATS, default: 'json' })
  @Optional()
  @IsIn(REPORT_FORMATS)
  format: ReportFormat = 'json';
}

export class ReportItemDto {
  @ApiProperty()
  rowIndex!: number;

  @ApiProperty({ format: 'uuid' })
  subscriberId!: string;

  @ApiProperty({ type: String, nullable: true })
  ipaasCompanyId!: string | null;

  @ApiProperty({ type: String, nullable: true })
  name!: string | null;

  @ApiProperty({ enum: ITEM_STATES })
  state!: ItemState;

  @ApiProperty({ type: String, nullable: true })
  skipReason!: string | null;

  @ApiProperty({ type: String, nullable: true })
  errorCode!: string | null;

  @ApiProperty({ type: String, nullable: true })
  errorMessage!: string | null;

  @ApiProperty()
  attempts!: number;

  @ApiProperty()
  vendorCalls!: number;

  @ApiProperty()
  drift!: boolean;

  @ApiProperty({ description: 'Steps that created a resource' })
  created!: number;

  @ApiProperty()
  updated!: number;

  @ApiProperty()
  noop!: number;

  @ApiProperty({
    description: 'Steps whose create was answered "already exists" and that took the existing resource over',
  })
  adopted!: number;

  @ApiProperty({ type: Date, nullable: true })
  startedAt!: Date | null;

  @ApiProperty({ type: Date, nullable: true })
  finishedAt!: Date | null;
}

export class JobReportDto {
  @ApiProperty({ type: JobResponseDto })
  job!: JobResponseDto;

  @ApiProperty({ type: [ReportItemDto] })
  items!: ReportItemDto[];
}
