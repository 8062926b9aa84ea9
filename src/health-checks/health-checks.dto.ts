import { ApiProperty } from '@nestjs/swagger';

import type { HealthCheckResultEntity } from './health-check-result.entity';
import type { SweepSummary } from './health-sweep';

export class HealthCheckResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) subscriberId!: string;
  @ApiProperty({ enum: ['healthy', 'degraded', 'unhealthy'] }) status!: string;
  @ApiProperty({ type: [String], example: ['CREDENTIAL_INVALID'] }) reasons!: string[];
  @ApiProperty({ type: Number, nullable: true, description: 'Latency of the read, ms' }) latencyMs!:
    number | null;
  @ApiProperty() checkedAt!: Date;

  static of(entity: HealthCheckResultEntity): HealthCheckResponseDto {
    return {
      id: entity.id,
      subscriberId: entity.subscriberId,
      status: entity.status,
      reasons: entity.reasons === '' ? [] : entity.reasons.split(','),
      latencyMs: entity.latencyMs,
      checkedAt: entity.checkedAt,
    };
  }
}

export class SweepStartedDto {
  @ApiProperty({ description: 'False when a sweep was already running (nothing new started)' })
  started!: boolean;
}

export class HealthCountDto {
  @ApiProperty({ enum: ['unknown', 'healthy', 'degraded', 'unhealthy'] }) status!: string;
  @ApiProperty() count!: number;
}

export class WorstCompanyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['degraded', 'unhealthy'] }) healthStatus!: string;
  @ApiProperty({ type: Date, nullable: true }) healthSince!: Date | null;
}

export class SweepSummaryDto implements SweepSummary {
  @ApiProperty() startedAt!: Date;
  @ApiProperty({ type: Date, nullable: true }) finishedAt!: Date | null;
  @ApiProperty({ type: Number, nullable: true }) durationMs!: number | null;
  @ApiProperty() companies!: number;
  @ApiProperty() checked!: number;
  @ApiProperty({ description: 'Vendor HTTP attempts of the reads (token mints not included)' })
  vendorCalls!: number;
}

export class HealthSummaryDto {
  @ApiProperty({ type: [HealthCountDto], description: 'Active subscribers by health' })
  counts!: HealthCountDto[];
  @ApiProperty({ type: [WorstCompanyDto] }) worst!: WorstCompanyDto[];
  @ApiProperty({ type: SweepSummaryDto, nullable: true }) lastSweep!: SweepSummaryDto | null;
}
