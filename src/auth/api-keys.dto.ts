import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';

import { IsDisplayName } from '../common/http/is-display-name';
import {
  API_KEY_STATUSES,
  type ApiKeyOwnerView,
  type ApiKeyStatus,
  type ApiKeyView,
  type CreateApiKeyInput,
} from './api-keys.service';
import { STAFF_ROLES, type StaffRole } from './roles';

export class CreateApiKeyDto implements CreateApiKeyInput {
  @ApiProperty({ example: 'nightly health report', minLength: 1, maxLength: 100 })
  @IsString()
  @Length(1, 100)
  @IsDisplayName()
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

export class TransferApiKeyDto {
  @ApiProperty({
    format: 'uuid',
    description: 'The enabled staff user who owns the key from now on (its role is capped at theirs)',
  })
  @IsUUID()
  ownerId!: string;
}

export class ApiKeyOwnerDto implements ApiKeyOwnerView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  email!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: STAFF_ROLES })
  role!: StaffRole;

  @ApiProperty()
  disabled!: boolean;
}

export class ApiKeyDto implements ApiKeyView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({
    enum: STAFF_ROLES,
    description: 'The role stored on the key (capped when its owner was demoted or it was transferred)',
  })
  role!: StaffRole;

  @ApiProperty({
    enum: STAFF_ROLES,
    nullable: true,
    description: "What the key may do now: its role, at most its owner's; null unless status is active",
  })
  effectiveRole!: StaffRole | null;

  @ApiProperty({
    enum: API_KEY_STATUSES,
    description:
      'active; revoked; expired; ownerless (its owner was deleted: refused until transferred); ' +
      'owner_disabled (refused while its owner is disabled)',
  })
  status!: ApiKeyStatus;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The staff user who created it (null once deleted)',
  })
  createdBy!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The staff user the key acts for (its creator unless transferred; null once deleted)',
  })
  ownerId!: string | null;

  @ApiProperty({ type: ApiKeyOwnerDto, nullable: true })
  owner!: ApiKeyOwnerDto | null;

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
