import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsDefined,
  IsInt,
  IsNotEmpty,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateNested,
} from 'class-validator';

import { IsDisplayName } from '../common/http/is-display-name';
import { Optional } from '../common/http/optional';

import { PaginationQueryDto } from '../common/http/pagination';
import {
  SIGNATURE_ENCODINGS,
  type SignatureEncoding,
  WEBHOOK_ACTIONS,
  WEBHOOK_EVENT_STATUSES,
  WEBHOOK_SCHEMES,
  type WebhookAction,
  type WebhookEventStatus,
  type WebhookScheme,
} from './webhook.types';

/** `data.customer.id`: keys of letters, digits, `_`, `-` or `$`, joined by dots. */
const DOT_PATH = /^[A-Za-z0-9_$-]{1,64}(\.[A-Za-z0-9_$-]{1,64}){0,15}$/;
const DOT_PATH_MESSAGE = 'must be a payload dot path such as data.customer.id';
const HEADER_NAME = /^[A-Za-z0-9-]{1,100}$/;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MAX_RULES = 50;

function IsDotPath(): PropertyDecorator {
  return Matches(DOT_PATH, { message: `$property ${DOT_PATH_MESSAGE}` });
}

/** `{ region: "data.region" }`: template variable names to payload dot paths. */
function IsVariablePaths(): PropertyDecorator {
  return ValidateBy({
    name: 'isVariablePaths',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        Object.keys(value).length <= 50 &&
        Object.entries(value).every(
          ([name, path]) => VAR_NAME.test(name) && typeof path === 'string' && DOT_PATH.test(path),
        ),
      defaultMessage: () => `vars must map up to 50 variable names to payload dot paths`,
    },
  });
}

export class HmacSchemeDto {
  @ApiProperty({ example: 'X-Hub-Signature-256' })
  @Matches(HEADER_NAME, { message: 'signatureHeader must be a header name' })
  signatureHeader!: string;

  @ApiProperty({ example: 'sha256=', description: 'Text before the MAC in the header (may be empty)' })
  @IsString()
  @MaxLength(32)
  prefix!: string;

  @ApiProperty({ enum: SIGNATURE_ENCODINGS })
  @IsIn(SIGNATURE_ENCODINGS)
  encoding!: SignatureEncoding;

  @ApiPropertyOptional({ example: 'X-GitHub-Delivery', description: 'Header with the delivery id' })
  @Optional()
  @Matches(HEADER_NAME, { message: 'idHeader must be a header name' })
  idHeader?: string;

  @ApiPropertyOptional({
    example: 'id',
    description: 'Payload dot path of the delivery id (when no idHeader)',
  })
  @Optional()
  @IsDotPath()
  idField?: string;

  @ApiPropertyOptional({
    description:
      'Header with Unix seconds. When set, `${timestamp}.${body}` is signed and a 5-minute tolerance applies; ' +
      'without it only the body is signed and replays are stopped by the delivery id alone',
  })
  @Optional()
  @Matches(HEADER_NAME, { message: 'timestampHeader must be a header name' })
  timestampHeader?: string;
}

export class SubscriberMappingDto {
  @ApiProperty({ example: 'data.ipaasCompanyId' })
  @IsDotPath()
  ipaasCompanyId!: string;

  @ApiPropertyOptional({ example: 'data.companyName' })
  @Optional()
  @IsDotPath()
  name?: string;

  @ApiPropertyOptional({ example: 'data.customerId' })
  @Optional()
  @IsDotPath()
  externalRef?: string;
}

export class WebhookRuleDto {
  @ApiProperty({ example: 'customer.signed_up' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  eventType!: string;

  @ApiProperty({ enum: WEBHOOK_ACTIONS })
  @IsIn(WEBHOOK_ACTIONS)
  action!: WebhookAction;

  @ApiPropertyOptional({ format: 'uuid', description: 'Template version to apply (onboard and reapply)' })
  @Optional()
  @IsUUID()
  templateId?: string;

  @ApiProperty({ type: SubscriberMappingDto })
  // ValidateNested passes an absent value; a rule without it would fail every delivery it matched.
  @IsDefined()
  @ValidateNested()
  @Type(() => SubscriberMappingDto)
  subscriber!: SubscriberMappingDto;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { region: 'data.region' },
    description: 'Template variable → payload dot path',
  })
  @Optional()
  @IsVariablePaths()
  vars?: Record<string, string>;
}

/** The rule list: 1-50 rules, each validated. */
function IsRuleList(required: boolean): PropertyDecorator {
  return applyDecorators(
    (required ? ApiProperty : ApiPropertyOptional)({ type: [WebhookRuleDto], maxItems: MAX_RULES }),
    ...(required ? [] : [Optional()]),
    IsArray(),
    ArrayMinSize(1),
    ArrayMaxSize(MAX_RULES),
    ValidateNested({ each: true }),
    Type(() => WebhookRuleDto),
  );
}

function IsRateLimit(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      minimum: 1,
      maximum: 10000,
      description: 'Deliveries per second (bursts of twice that); default WEBHOOK_RATE_LIMIT_PER_SECOND',
    }),
    Optional(),
    IsInt(),
    Min(1),
    Max(10000),
  );
}

export class CreateWebhookSourceDto {
  @ApiProperty({ maxLength: 200, example: 'Billing (Chargebee)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @IsDisplayName()
  name!: string;

  @ApiPropertyOptional({ enum: WEBHOOK_SCHEMES, default: 'standard_webhooks' })
  @Optional()
  @IsIn(WEBHOOK_SCHEMES)
  scheme?: WebhookScheme;

  @ApiPropertyOptional({ type: HmacSchemeDto, description: 'Required for hmac_sha256' })
  @Optional()
  @ValidateNested()
  @Type(() => HmacSchemeDto)
  hmac?: HmacSchemeDto;

  @ApiPropertyOptional({ default: 'type', description: 'Payload dot path of the event type' })
  @Optional()
  @IsDotPath()
  eventTypeField?: string;

  @IsRuleList(true)
  rules!: WebhookRuleDto[];

  @IsRateLimit()
  rateLimitPerSecond?: number;
}

export class UpdateWebhookSourceDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @Optional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @IsDisplayName()
  name?: string;

  @IsRuleList(false)
  rules?: WebhookRuleDto[];

  @IsRateLimit()
  rateLimitPerSecond?: number;

  @ApiPropertyOptional()
  @Optional()
  @IsBoolean()
  enabled?: boolean;
}

export class WebhookSecretDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  retiredAt!: string | null;
}

export class WebhookSecretCreatedDto extends WebhookSecretDto {
  @ApiProperty({ description: 'The signing secret. Shown only in this response.' })
  secret!: string;
}

export class WebhookSourceDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: WEBHOOK_SCHEMES })
  scheme!: WebhookScheme;

  @ApiProperty({ type: HmacSchemeDto, nullable: true })
  hmac!: HmacSchemeDto | null;

  @ApiProperty()
  eventTypeField!: string;

  @ApiProperty({ type: [WebhookRuleDto] })
  rules!: WebhookRuleDto[];

  @ApiProperty()
  rateLimitPerSecond!: number;

  @ApiProperty()
  enabled!: boolean;

  @ApiProperty({ description: 'POST signed deliveries here', example: '/v1/webhooks/2b1f…' })
  receiverPath!: string;

  @ApiProperty({ type: [WebhookSecretDto], description: 'Metadata only, never the secret' })
  secrets!: WebhookSecretDto[];

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

export class WebhookSourceCreatedDto extends WebhookSourceDto {
  @ApiProperty({
    description:
      'The signing secret (`whsec_…` for Standard Webhooks, random text for hmac_sha256). Shown only here.',
  })
  secret!: string;
}

export class WebhookEventsQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @Optional()
  @IsUUID()
  sourceId?: string;

  @ApiPropertyOptional({ enum: WEBHOOK_EVENT_STATUSES })
  @Optional()
  @IsIn(WEBHOOK_EVENT_STATUSES)
  status?: WebhookEventStatus;
}

export class WebhookEventDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  sourceId!: string;

  @ApiProperty({ description: "The sender's delivery id (deduplication key)" })
  webhookId!: string;

  @ApiProperty()
  eventType!: string;

  @ApiProperty({ enum: WEBHOOK_ACTIONS })
  action!: WebhookAction;

  @ApiProperty({
    enum: WEBHOOK_EVENT_STATUSES,
    description: 'succeeded for onboard/reapply means the job was created (its own state is at jobId)',
  })
  status!: WebhookEventStatus;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  subscriberId!: string | null;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'GET /v1/provisioning/jobs/{jobId}',
  })
  jobId!: string | null;

  @ApiProperty({ type: String, nullable: true })
  errorCode!: string | null;

  @ApiProperty({ type: String, nullable: true })
  errorMessage!: string | null;

  @ApiProperty({ format: 'date-time' })
  receivedAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  processedAt!: string | null;

  @ApiProperty()
  replays!: number;
}

export class WebhookEventDetailDto extends WebhookEventDto {
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The verified raw body; null for viewers (billing/CRM personal data needs operator)',
  })
  payload!: string | null;
}

export class WebhookReceiptDto {
  @ApiProperty({ format: 'uuid' })
  eventId!: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_STATUSES })
  status!: WebhookEventStatus;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  jobId!: string | null;
}
