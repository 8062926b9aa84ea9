import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
  ValidateIf,
} from 'class-validator';

export class PutMispAccountDto {
  @ApiProperty({ example: 'misp@sandbox.test', description: 'The MiSP user that mints company tokens' })
  @IsEmail()
  @MaxLength(320)
  email!: string;

  @ApiProperty({ example: 'sandbox-pass', description: 'Stored encrypted; never returned', writeOnly: true })
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  password!: string;
}

export class PutCredentialDto {
  @ApiProperty({
    enum: ['api_key', 'company_session'],
    description: '`api_key`: a key the company issued; `company_session`: mint one now through ChangeCompany',
  })
  @IsIn(['api_key', 'company_session'])
  kind!: 'api_key' | 'company_session';

  @ApiPropertyOptional({
    description: 'Required for kind api_key. Stored encrypted; never returned',
    writeOnly: true,
  })
  @ValidateIf((dto: PutCredentialDto) => dto.kind === 'api_key' || dto.apiKey !== undefined)
  @IsString()
  @MinLength(8)
  @MaxLength(4096)
  apiKey?: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description:
      'Kind api_key only: when the key expires at iPaaS.com (shown when it was created there); health checks ' +
      'warn HEALTH_EXPIRY_WARN_DAYS before. Omit for keys that never expire',
  })
  @ValidateIf((dto: PutCredentialDto) => dto.expiresAt !== undefined)
  @IsISO8601({ strict: true })
  expiresAt?: string;
}

export class PutCredentialQueryDto {
  @ApiPropertyOptional({ default: true, description: 'Check an API key with a live call before storing it' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'false' ? false : value === 'true' ? true : value))
  @IsBoolean()
  verify = true;
}
