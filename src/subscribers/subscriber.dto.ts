import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';

import type { Subscriber } from './subscribers.service';

export class CreateSubscriberDto {
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
  name!: string;
}

export class SubscriberResponseDto implements Subscriber {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  ipaasCompanyId!: string;

  @ApiProperty()
  name!: string;

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
