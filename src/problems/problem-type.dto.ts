import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

import { ErrorCode } from '../common/errors/error-code';
import { PaginationQueryDto } from '../common/http/pagination';

export class ProblemTypeDto {
  @ApiProperty({ enum: ErrorCode, enumName: 'ErrorCode' })
  code!: ErrorCode;

  @ApiProperty({ example: 400 })
  status!: number;

  @ApiProperty({ example: 'The request is not valid' })
  title!: string;

  @ApiProperty({ example: '/v1/problems/VALIDATION_FAILED' })
  type!: string;
}

export class ListProblemTypesQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ description: 'Only the codes answered with this HTTP status', example: 404 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(599)
  status?: number;
}
