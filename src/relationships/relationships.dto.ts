import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsString, Max, MaxLength, Min } from 'class-validator';

import { Optional } from '../common/http/optional';

export class RoleShareRequestDto {
  @ApiPropertyOptional({
    description: "The MiSP company's role to share; default IPAAS_MISP_ROLE_ID",
    example: 7,
    minimum: 1,
  })
  @Optional()
  @IsInt()
  @Min(1)
  roleId?: number;

  @ApiPropertyOptional({ maxLength: 500, example: 'Managed integrations by our support team' })
  @Optional()
  @IsString()
  @MaxLength(500)
  purpose?: string;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 3650,
    description: 'How long the share lasts; none: open-ended',
  })
  @Optional()
  @IsInt()
  @Min(1)
  @Max(3650)
  durationDays?: number;
}

export class SyncIdsDto {
  @ApiProperty({ type: [String] })
  added!: string[];

  @ApiProperty({ type: [String] })
  updated!: string[];

  @ApiProperty({ type: [String] })
  gone!: string[];
}

export class SyncResultDto {
  @ApiProperty({ description: 'Companies new to the registry' })
  added!: number;

  @ApiProperty({ description: 'Registry rows changed (name, status, request id)' })
  updated!: number;

  @ApiProperty({
    description:
      'Registered companies iPaaS.com does not list (now offboarded, however they were registered)',
  })
  gone!: number;

  @ApiProperty()
  unchanged!: number;

  @ApiProperty({ description: 'Companies iPaaS.com lists: added + updated + unchanged' })
  total!: number;

  @ApiPropertyOptional({
    type: SyncIdsDto,
    description: 'Tenantry ids of the rows written; omitted when more than 1000 rows changed',
  })
  ids?: SyncIdsDto;
}
