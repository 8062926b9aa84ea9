import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsNotEmpty, IsString, IsUrl, IsUUID, MaxLength } from 'class-validator';

import { Optional } from '../common/http/optional';

import { PaginationQueryDto } from '../common/http/pagination';
import { ALERT_KINDS, type AlertKind, DELIVERY_STATES, type DeliveryState } from './alert.types';

export class CreateAlertDestinationDto {
  @ApiProperty({ maxLength: 200, example: 'On-call pager' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ maxLength: 2048, example: 'https://hooks.example.com/tenantry' })
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
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

  @ApiProperty({ type: Number, nullable: true, description: 'HTTP status of the last attempt' })
  lastStatus!: number | null;

  @ApiProperty({ type: String, nullable: true })
  lastError!: string | null;
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
