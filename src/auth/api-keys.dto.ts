import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional, IsString, Length } from 'class-validator';

import type { ApiKeyView, CreateApiKeyInput } from './api-keys.service';
import { STAFF_ROLES, type StaffRole } from './roles';

export class CreateApiKeyDto implements CreateApiKeyInput {
  @ApiProperty({ example: 'nightly health report', minLength: 1, maxLength: 100 })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiProperty({ enum: STAFF_ROLES })
  @IsIn(STAFF_ROLES)
  role!: StaffRole;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description: 'Must be in the future; none: no expiry',
  })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  expiresAt?: Date;
}

export class ApiKeyDto implements ApiKeyView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: STAFF_ROLES })
  role!: StaffRole;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The staff user who created it (null once deleted)',
  })
  createdBy!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expiresAt!: Date | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Updated at most once a minute',
  })
  lastUsedAt!: Date | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  revokedAt!: Date | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({
    description: 'Send as `X-API-Key`. Shown only in this response; Tenantry keeps only its hash.',
    example: 'tnt_3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b_…',
  })
  secret!: string;
}
