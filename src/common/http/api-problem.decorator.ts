import { applyDecorators } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';

import { ErrorCode } from '../errors/error-code';
import { PROBLEM_CONTENT_TYPE } from '../errors/problem-details';

export class FieldProblemDto {
  @ApiProperty({ example: 'pageSize' })
  field!: string;

  @ApiProperty({ example: 'pageSize must not be greater than 500' })
  message!: string;
}

/** RFC 9457 problem details, the body of every error response. */
export class ProblemDto {
  @ApiProperty({ example: '/v1/problems/VALIDATION_FAILED' })
  type!: string;

  @ApiProperty({ example: 'The request is not valid' })
  title!: string;

  @ApiProperty({ example: 400 })
  status!: number;

  @ApiProperty({ example: '1 field(s) are invalid' })
  detail!: string;

  @ApiProperty({ enum: ErrorCode, enumName: 'ErrorCode' })
  code!: ErrorCode;

  @ApiProperty({ example: '6f1c2f0e-2a8e-4a52-9f55-2c4f5a7d9b1e' })
  requestId!: string;

  @ApiPropertyOptional({ example: '/v1/problems' })
  instance?: string;

  @ApiPropertyOptional({ type: [FieldProblemDto] })
  errors?: FieldProblemDto[];
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (VALIDATION_FAILED, MALFORMED_JSON)',
  401: 'Missing or invalid credentials',
  403: 'The caller lacks the role',
  404: 'Not found',
  409: 'Conflict with the current state',
  413: 'Body too large',
  422: 'Unprocessable (also iPaaS.com refusing the request: VENDOR_REJECTED, VENDOR_CREDENTIAL_REJECTED)',
  429: 'Rate limited',
  500: 'Unexpected error (generic body)',
  502: 'iPaaS.com gave an answer Tenantry cannot use (VENDOR_ERROR)',
  503: 'Not ready, or iPaaS.com unavailable (VENDOR_UNAVAILABLE, VENDOR_RATE_LIMITED)',
};

/** Documents problem+json error responses for the given statuses (400 and 500 are always added). */
export function ApiProblemResponses(...statuses: number[]): MethodDecorator & ClassDecorator {
  const all = [...new Set([400, 500, ...statuses])].sort();
  return applyDecorators(
    ApiExtraModels(ProblemDto),
    ...all.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? 'Error',
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemDto) } } },
      }),
    ),
  );
}
