import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsIn, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';

import { Optional } from '../common/http/optional';

import { IsDisplayName } from '../common/http/is-display-name';
import type { KeyDisposal } from './api-keys.service';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password-hasher';
import { STAFF_ROLES, type StaffRole } from './roles';
import type { CreateStaffInput, StaffUser, UpdateStaffInput } from './staff.service';

export class CreateStaffDto implements CreateStaffInput {
  @ApiProperty({ example: 'ops@misp.example', description: 'Stored lower-case; unique' })
  @IsEmail()
  @MaxLength(320)
  email!: string;

  @ApiProperty({ example: 'Olivia Ops', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  @IsDisplayName()
  name!: string;

  @ApiProperty({ enum: STAFF_ROLES })
  @IsIn(STAFF_ROLES)
  role!: StaffRole;

  @ApiProperty({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH, format: 'password' })
  @IsString()
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH)
  password!: string;
}

export class UpdateStaffDto implements UpdateStaffInput {
  @ApiPropertyOptional({ minLength: 1, maxLength: 200 })
  @Optional()
  @IsString()
  @Length(1, 200)
  @IsDisplayName()
  name?: string;

  @ApiPropertyOptional({ enum: STAFF_ROLES, description: 'Demoting ends the user’s sessions' })
  @Optional()
  @IsIn(STAFF_ROLES)
  role?: StaffRole;

  @ApiPropertyOptional({ description: 'Disabling ends the user’s sessions; sign-in is refused' })
  @Optional()
  @IsBoolean()
  disabled?: boolean;

  @ApiPropertyOptional({
    minLength: PASSWORD_MIN_LENGTH,
    maxLength: PASSWORD_MAX_LENGTH,
    format: 'password',
    description: 'A new password; ends the user’s sessions',
  })
  @Optional()
  @IsString()
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH)
  password?: string;
}

const KEYS_DISPOSAL =
  /^(revoke|transfer:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;

export class DeleteStaffQueryDto {
  @ApiPropertyOptional({
    description:
      'What becomes of the API keys the user owns: `revoke`, or `transfer:<staff id>` to hand them to a ' +
      'successor (roles capped at theirs). Without it, a user owning active keys is not deleted (409).',
    example: 'transfer:3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b',
  })
  @IsOptional()
  @Matches(KEYS_DISPOSAL, { message: 'keys must be revoke or transfer:<staff id>' })
  keys?: string;

  /** The parsed choice; undefined when none was given. */
  disposal(): KeyDisposal | undefined {
    if (this.keys === undefined) {
      return undefined;
    }
    return this.keys === 'revoke'
      ? { kind: 'revoke' }
      : { kind: 'transfer', toStaffId: this.keys.slice('transfer:'.length).toLowerCase() };
  }
}

export class StaffUserDto implements StaffUser {
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

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastLoginAt!: Date | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt!: Date;
}
