import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, Length, Matches } from 'class-validator';

import { PaginationQueryDto } from '../common/http/pagination';
import type { ChainProblemReason, ChainVerification } from './audit-chain';
import type { AuditFilter } from './audit.repository';
import type { AuditEventView } from './audit.service';
import { AUDIT_ACTOR_KINDS, AUDIT_OUTCOMES, type AuditActorKind, type AuditOutcome } from './audit.types';

// A full date-time with an explicit offset: a bare local time would mean something else on every server.
const DATE_TIME_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const DATE_TIME_MESSAGE = '$property must be an ISO 8601 date-time with an offset, e.g. 2025-06-01T00:00:00Z';

/** The filters of GET /v1/audit and GET /v1/audit/export. */
export class AuditFilterDto {
  @ApiPropertyOptional({ enum: AUDIT_ACTOR_KINDS })
  @IsOptional()
  @IsIn(AUDIT_ACTOR_KINDS)
  actorKind?: AuditActorKind;

  @ApiPropertyOptional({ description: 'Staff user id or API key id', maxLength: 64 })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  actorId?: string;

  @ApiPropertyOptional({
    description: 'An exact action, or a prefix ending with `*` (e.g. `vendor.*`)',
    example: 'company_token.*',
    maxLength: 200,
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  @Matches(/^[^*]+\*?$/, { message: 'action must be an exact action or a prefix ending with a single *' })
  action?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsString()
  @Length(1, 36)
  subscriberId?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Rows at or after this instant' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: DATE_TIME_MESSAGE })
  @Matches(DATE_TIME_WITH_OFFSET, { message: DATE_TIME_MESSAGE })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Rows at or before this instant' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: DATE_TIME_MESSAGE })
  @Matches(DATE_TIME_WITH_OFFSET, { message: DATE_TIME_MESSAGE })
  to?: string;
}

export class AuditListQueryDto extends IntersectionType(AuditFilterDto, PaginationQueryDto) {}

export function toAuditFilter(query: AuditFilterDto): AuditFilter {
  const prefix = query.action?.endsWith('*') === true;
  return {
    actorKind: query.actorKind,
    actorId: query.actorId,
    action: prefix ? query.action?.slice(0, -1) : query.action,
    actionIsPrefix: prefix,
    subscriberId: query.subscriberId,
    from: query.from === undefined ? undefined : new Date(query.from),
    to: query.to === undefined ? undefined : new Date(query.to),
  };
}

export class AuditEventDto implements AuditEventView {
  @ApiProperty({ description: 'Position in the chain: consecutive from 1', example: 42 })
  seq!: number;

  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  at!: Date;

  @ApiProperty({ enum: AUDIT_ACTOR_KINDS })
  actorKind!: AuditActorKind;

  @ApiProperty({ type: String, nullable: true, description: 'Staff user id or API key id' })
  actorId!: string | null;

  @ApiProperty({ description: 'Email, key name, `system` or `anonymous`', example: 'deploy script' })
  actorLabel!: string;

  @ApiProperty({ example: 'company_token.minted' })
  action!: string;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  subscriberId!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Other route parameters', example: 'id=…' })
  target!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'X-Request-Id of the request behind it' })
  requestId!: string | null;

  @ApiProperty({ enum: AUDIT_OUTCOMES })
  outcome!: AuditOutcome;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'Context without secrets, e.g. {"status":403,"code":"FORBIDDEN"}',
  })
  details!: Record<string, unknown> | null;

  @ApiProperty({ description: 'sha256 (hex) of the previous row; 64 zeros for the first' })
  prevHash!: string;

  @ApiProperty({ description: "sha256 (hex) over this row's fields and prevHash" })
  hash!: string;
}

const PROBLEM_REASONS: ChainProblemReason[] = [
  'hash_mismatch',
  'chain_break',
  'missing_rows',
  'head_mismatch',
];

export class ChainProblemDto {
  @ApiProperty({ description: 'The seq where the problem shows' })
  seq!: number;

  @ApiProperty({
    enum: PROBLEM_REASONS,
    description:
      'hash_mismatch: the row was edited; chain_break: its prevHash is not the hash of the row before; ' +
      'missing_rows: seqs are missing from here; head_mismatch: the newest rows were deleted (or added around ' +
      'the appender)',
  })
  reason!: ChainProblemReason;
}

export class ChainVerificationDto implements ChainVerification {
  @ApiProperty({ description: 'True when no problem was found' })
  ok!: boolean;

  @ApiProperty({ description: 'Rows checked' })
  checked!: number;

  @ApiProperty({ description: 'The last seq checked (0 for an empty trail)' })
  lastSeq!: number;

  @ApiProperty({ type: [ChainProblemDto], description: 'At most 1000, in chain order' })
  problems!: ChainProblemDto[];
}
