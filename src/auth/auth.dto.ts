import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';

import type { Principal } from './principal';
import { STAFF_ROLES, type StaffRole } from './roles';
import type { TokenPair } from './sessions.service';

export class LoginDto {
  @ApiProperty({ example: 'ops@misp.example' })
  @IsEmail()
  @MaxLength(320)
  email!: string;

  // Any length up to the cap is accepted here: the length rule applies when a password is set, and a
  // sign-in with a too-short password is simply wrong.
  @ApiProperty({ example: 'correct horse battery staple', format: 'password' })
  @IsString()
  @Length(1, 200)
  password!: string;
}

export class RefreshDto {
  @ApiProperty({ description: 'The refresh token of the last sign-in or refresh (each works once)' })
  @IsString()
  @Length(1, 200)
  refresh_token!: string;
}

export class TokenPairDto implements TokenPair {
  @ApiProperty({ description: 'JWT (HS256) for `Authorization: Bearer …`' })
  access_token!: string;

  @ApiProperty({ description: 'Exchange it at POST /v1/auth/refresh for a new pair; it works once' })
  refresh_token!: string;

  @ApiProperty({ enum: ['Bearer'] })
  token_type!: 'Bearer';

  @ApiProperty({ description: 'Seconds until the access token expires', example: 900 })
  expires_in!: number;
}

export class MeDto implements Omit<Principal, 'sessionId'> {
  @ApiProperty({ enum: ['staff', 'api_key'] })
  kind!: 'staff' | 'api_key';

  @ApiProperty({ description: 'The staff user id, or the API key id' })
  id!: string;

  @ApiProperty({ type: String, nullable: true, description: 'The staff user behind the call' })
  staffId!: string | null;

  @ApiProperty({ description: 'Email or key name' })
  label!: string;

  @ApiProperty({ enum: STAFF_ROLES })
  role!: StaffRole;

  @ApiPropertyOptional()
  email?: string;

  @ApiPropertyOptional()
  name?: string;
}
