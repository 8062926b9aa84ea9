import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';

import { IsDisplayName } from '../common/http/is-display-name';
import { PaginationQueryDto } from '../common/http/pagination';
import { HEALTH_STATUSES, SUBSCRIBER_STATUSES } from './subscriber.entity';
import { MAX_TAGS_PER_SUBSCRIBER, TAG_PATTERN } from './subscriber-tag.entity';
import {
  CREDENTIAL_STATES,
  type CredentialState,
  SUBSCRIBER_SORTS,
  type SubscriberSort,
} from './subscribers.repository';
import type { HealthStatus, SubscriberStatus, SubscriberView } from './subscribers.service';

const TAG_MESSAGE = 'each tag must be 1-40 of a-z 0-9 . _ - (lower case, starting with a letter or digit)';
// Printable, no leading or trailing space: the reference is matched exactly.
const EXTERNAL_REF_PATTERN = /^[^\s\p{C}](?:[^\p{C}]*[^\s\p{C}])?$/u;

/** The fields staff may set; the relationship and health status are Tenantry's, never the caller's. */
class EditableSubscriberFields {
  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_TAGS_PER_SUBSCRIBER,
    example: ['retail', 'eu-west'],
    description: 'Replaces the whole set; duplicates are dropped',
  })
  @ValidateIf((dto: EditableSubscriberFields) => dto.tags !== undefined)
  @IsArray()
  @ArrayMaxSize(MAX_TAGS_PER_SUBSCRIBER)
  @IsString({ each: true })
  @Matches(TAG_PATTERN, { each: true, message: TAG_MESSAGE })
  tags?: string[];

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 100,
    example: 'CRM-00042',
    description: 'Billing or CRM id, unique when set; null clears it',
  })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  @Matches(EXTERNAL_REF_PATTERN, { message: 'externalRef must be printable, without surrounding spaces' })
  externalRef?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000, description: 'null clears them' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  notes?: string | null;
}

export class CreateSubscriberDto extends EditableSubscriberFields {
  @ApiProperty({
    description: 'The company id at iPaaS.com',
    example: '9f3c1a52-7d0e-4b8a-a1f4-2c6b9e0d7a31',
  })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, {
    message: 'ipaasCompanyId must be 1-64 of A-Z a-z 0-9 . _ : - (starting with a letter or digit)',
  })
  ipaasCompanyId!: string;

  @ApiProperty({ example: 'Acme Outdoor Supply', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  @IsDisplayName()
  name!: string;
}

export class UpdateSubscriberDto extends EditableSubscriberFields {
  @ApiPropertyOptional({ example: 'Acme Outdoor Supply', minLength: 1, maxLength: 200 })
  // Present means a string: null is refused rather than clearing the name.
  @ValidateIf((dto: UpdateSubscriberDto) => dto.name !== undefined)
  @IsString()
  @Length(1, 200)
  @IsDisplayName()
  name?: string;
}

export class ListSubscribersQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ enum: SUBSCRIBER_STATUSES })
  @IsOptional()
  @IsIn(SUBSCRIBER_STATUSES)
  status?: SubscriberStatus;

  @ApiPropertyOptional({ description: 'Subscribers carrying this tag', example: 'retail' })
  @IsOptional()
  @Matches(TAG_PATTERN, { message: TAG_MESSAGE })
  tag?: string;

  @ApiPropertyOptional({ enum: HEALTH_STATUSES })
  @IsOptional()
  @IsIn(HEALTH_STATUSES)
  health?: HealthStatus;

  @ApiPropertyOptional({ enum: CREDENTIAL_STATES })
  @IsOptional()
  @IsIn(CREDENTIAL_STATES)
  credential?: CredentialState;

  @ApiPropertyOptional({
    description: 'Case-insensitive substring of the name, iPaaS.com company id or external reference',
    maxLength: 200,
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  q?: string;

  @ApiPropertyOptional({
    enum: SUBSCRIBER_SORTS,
    default: 'createdAt',
    description: '`-` sorts descending; ties are broken by id',
  })
  @IsOptional()
  @IsIn(SUBSCRIBER_SORTS)
  sort?: SubscriberSort;
}

export class SubscriberResponseDto implements SubscriberView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  ipaasCompanyId!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: SUBSCRIBER_STATUSES, description: 'Where the MiSP relationship stands' })
  status!: SubscriberStatus;

  @ApiProperty({ type: String, nullable: true, example: 'request denied' })
  statusReason!: string | null;

  @ApiProperty({ enum: HEALTH_STATUSES })
  healthStatus!: HealthStatus;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  healthSince!: Date | null;

  @ApiProperty({
    enum: CREDENTIAL_STATES,
    description: 'none, stored (never checked), verified or invalid (refused by iPaaS.com)',
  })
  credentialStatus!: CredentialState;

  @ApiProperty({ type: [String] })
  tags!: string[];

  @ApiProperty({ type: String, nullable: true })
  externalRef!: string | null;

  @ApiProperty({ type: String, nullable: true })
  notes!: string | null;

  @ApiProperty({ type: Number, nullable: true, description: "The vendor's subscriber request id" })
  vendorRequestId!: number | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When a sync first saw the company or last changed it; null if only registered by hand',
  })
  syncedAt!: Date | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Vendor calls for this company are paused until then (monthly quota exhausted)',
  })
  quotaExhaustedUntil!: Date | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt!: Date;
}
