import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsNotEmpty, IsString, IsUUID, MaxLength } from 'class-validator';

import { Optional } from '../common/http/optional';

import { IsDisplayName } from '../common/http/is-display-name';
import { PaginationQueryDto } from '../common/http/pagination';
import {
  ALERT_KINDS,
  type AlertKind,
  DELIVERY_OUTCOMES,
  DELIVERY_STATES,
  type DeliveryOutcome,
  type DeliveryState,
} from './alert.types';

export class CreateAlertDestinationDto {
  @ApiProperty({ maxLength: 200, example: 'On-call pager' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @IsDisplayName()
  name!: string;

  @ApiProperty({
    maxLength: 2048,
    example: 'https://hooks.example.com/tenantry',
    description:
      'http(s), no userinfo, a host that resolves to public addresses only (or to OUTBOUND_ALLOW_CIDRS); ' +
      'otherwise 400 OUTBOUND_URL_REFUSED with the reason',
  })
  // The outbound guard parses and judges the URL (one set of rules at create time and at delivery).
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  url!: string;

  @ApiProperty({ required: false, default: true })
  @Optional()
  @IsBoolean()
  enabled?: boolean;
}

export class AlertDestinationDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty()
  url!: string;

  @ApiProperty()
  enabled!: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class AlertDestinationWithSecretDto extends AlertDestinationDto {
  @ApiProperty({
    description: 'Standard Webhooks signing secret (`whsec_` + base64). Shown only in this response.',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  secret!: string;
}

export class AlertsQueryDto extends PaginationQueryDto {
  @ApiProperty({ required: false, format: 'uuid' })
  @Optional()
  @IsUUID()
  subscriberId?: string;

  @ApiProperty({ required: false, enum: ALERT_KINDS })
  @Optional()
  @IsIn(ALERT_KINDS)
  kind?: AlertKind;
}

export class AlertDeliveryDto {
  @ApiProperty({ description: 'Also the webhook-id header of every attempt' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  destinationId!: string;

  @ApiProperty({ enum: DELIVERY_STATES })
  state!: DeliveryState;

  @ApiProperty()
  attempts!: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  nextAttemptAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastAttemptAt!: string | null;

  @ApiProperty({
    enum: DELIVERY_OUTCOMES,
    description:
      'pending: not attempted yet; delivered; retrying: an attempt failed and another is due; failed: no more attempts',
  })
  outcome!: DeliveryOutcome;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '5xx',
    description: 'The class of the last HTTP answer (2xx … 5xx); null when there was none',
  })
  statusClass!: string | null;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    description: 'Admins only: HTTP status of the last attempt',
  })
  lastStatus?: number | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'Admins only: why the last attempt failed (network errors name addresses and ports)',
  })
  lastError?: string | null;
}

export class AlertDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  subscriberId!: string;

  @ApiProperty({ enum: ALERT_KINDS })
  kind!: AlertKind;

  @ApiProperty({ type: String, nullable: true })
  from!: string | null;

  @ApiProperty()
  to!: string;

  @ApiProperty({ type: [String] })
  reasons!: string[];

  @ApiProperty({ format: 'date-time' })
  at!: string;

  @ApiProperty({ type: [AlertDeliveryDto] })
  deliveries!: AlertDeliveryDto[];
}
