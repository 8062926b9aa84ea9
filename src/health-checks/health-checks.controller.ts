import { Controller, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';

import { AuditAction } from '../audit/audit-action.decorator';
import { Roles } from '../auth/auth.decorators';
import { ApiProblemResponses } from '../common/http/api-problem.decorator';
import { ApiPaginatedResponse, Page, PaginationQueryDto } from '../common/http/pagination';
import { SubscribersService } from '../subscribers/subscribers.service';
import { HealthCheckService } from './health-check.service';
import { HealthChecksRepository } from './health-checks.repository';
import { HealthCheckResponseDto, HealthSummaryDto, SweepStartedDto } from './health-checks.dto';
import { HealthSweeper } from './health-sweep';

const WORST_LIMIT = 10;

@ApiTags('health-checks')
@Controller()
export class HealthChecksController {
  constructor(
    private readonly checks: HealthCheckService,
    private readonly sweeper: HealthSweeper,
    private readonly repository: HealthChecksRepository,
    private readonly subscribers: SubscribersService,
  ) {}

  @Post('subscribers/:id/health-checks')
  @Roles('operator')
  @AuditAction('subscriber.health_check')
  @ApiCreatedResponse({ type: HealthCheckResponseDto, description: 'Checked now; the result is stored' })
  @ApiProblemResponses(404, 409)
  async checkOne(@Param('id', ParseUUIDPipe) id: string): Promise<HealthCheckResponseDto> {
    return HealthCheckResponseDto.of((await this.checks.check(id)).result);
  }

  @Get('subscribers/:id/health-checks')
  @Roles('viewer')
  @ApiPaginatedResponse(HealthCheckResponseDto, 'Health checks of the subscriber, newest first')
  @ApiProblemResponses(404)
  async history(
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: PaginationQueryDto,
  ): Promise<Page<HealthCheckResponseDto>> {
    await this.subscribers.get(id);
    const [rows, total] = await this.repository.page(
      id,
      (query.pageNumber - 1) * query.pageSize,
      query.pageSize,
    );
    return Page.of(
      rows.map((row) => HealthCheckResponseDto.of(row)),
      total,
      query,
    );
  }

  @Post('health-checks/run')
  @Roles('operator')
  @AuditAction('health_checks.run')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({ type: SweepStartedDto, description: 'A sweep of every active subscriber started' })
  @ApiProblemResponses()
  run(): SweepStartedDto {
    return { started: this.sweeper.start(0) };
  }

  @Get('health-checks/summary')
  @Roles('viewer')
  @ApiOkResponse({ type: HealthSummaryDto })
  @ApiProblemResponses()
  async summary(): Promise<HealthSummaryDto> {
    const [counts, worst] = await Promise.all([
      this.repository.countsByHealth(),
      this.repository.worst(WORST_LIMIT),
    ]);
    return {
      counts,
      worst: worst.map((s) => ({
        id: s.id,
        name: s.name,
        healthStatus: s.healthStatus,
        healthSince: s.healthSince,
      })),
      lastSweep: this.sweeper.summary,
    };
  }
}
