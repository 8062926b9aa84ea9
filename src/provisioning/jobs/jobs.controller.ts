import { Readable } from 'node:stream';

import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  type MessageEvent,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  Res,
  Sse,
  StreamableFile,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiExtraModels,
  ApiHeader,
  ApiOkResponse,
  ApiProduces,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { finalize, type Observable } from 'rxjs';

import { AuditAction } from '../../audit/audit-action.decorator';
import { Roles } from '../../auth/auth.decorators';
import { CurrentPrincipal, type Principal } from '../../auth/principal';
import { ApiProblemResponses } from '../../common/http/api-problem.decorator';
import { ApiPaginatedResponse, type Page, PaginationQueryDto } from '../../common/http/pagination';
import { BulkBodyInterceptor } from '../../common/http/request-bodies';
import { LiveStreams } from '../../common/sse/live-streams';
import {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENT_REPLAYED_HEADER,
  IdempotencyService,
} from '../../common/idempotency/idempotency.service';
import { JobEvents, parseLastEventId } from './job-events';
import { JobExistsGuard } from './job-exists.guard';
import {
  CreateJobDto,
  DryRunResponseDto,
  ItemResponseDto,
  JobReportDto,
  JobResponseDto,
  ListItemsQueryDto,
  ReportQueryDto,
} from './jobs.dto';
import { JobsService } from './jobs.service';

/** Bulk provisioning jobs: one request onboards or re-provisions many companies (README "Bulk provisioning"). */
@ApiTags('provisioning')
@Controller('provisioning/jobs')
export class JobsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly events: JobEvents,
    private readonly liveStreams: LiveStreams,
  ) {}

  @Post()
  @Roles('operator')
  // The body (up to BULK_BODY_LIMIT) is read only once the guard has admitted the caller (app.setup.ts).
  @UseInterceptors(BulkBodyInterceptor)
  @AuditAction('provisioning.job.submit')
  @HttpCode(HttpStatus.CREATED)
  @ApiHeader({
    name: IDEMPOTENCY_KEY_HEADER,
    required: false,
    description:
      'Up to 255 visible ASCII characters (a UUID): the same key and body answer the first response again ' +
      `(with ${IDEMPOTENT_REPLAYED_HEADER}: true) for 24 hours; another body 422; while the first runs 409`,
  })
  @ApiExtraModels(JobResponseDto, DryRunResponseDto)
  @ApiCreatedResponse({ type: JobResponseDto, description: 'Stored; workers start on it at once' })
  @ApiOkResponse({ type: DryRunResponseDto, description: 'options.dryRun: valid, nothing stored' })
  @ApiProblemResponses(409, 422)
  async submit(
    @Body() body: CreateJobDto,
    @CurrentPrincipal() principal: Principal,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<JobResponseDto | DryRunResponseDto> {
    const outcome = await this.jobs.submit(body, principal, IdempotencyService.parseKey(idempotencyKey));
    response.status(outcome.status);
    if (outcome.replayed) {
      response.setHeader(IDEMPOTENT_REPLAYED_HEADER, 'true');
    }
    return outcome.body;
  }

  @Get()
  @Roles('viewer')
  @ApiPaginatedResponse(JobResponseDto, 'Jobs, newest first (the plan summary is on GET /{id})')
  @ApiProblemResponses()
  list(@Query() query: PaginationQueryDto): Promise<Page<JobResponseDto>> {
    return this.jobs.list(query);
  }

  @Get(':id')
  @Roles('viewer')
  @ApiOkResponse({ type: JobResponseDto })
  @ApiProblemResponses(404)
  get(@Param('id', ParseUUIDPipe) id: string): Promise<JobResponseDto> {
    return this.jobs.get(id);
  }

  @Get(':id/items')
  @Roles('viewer')
  @ApiPaginatedResponse(ItemResponseDto, 'The companies of the job in request order, with their steps')
  @ApiProblemResponses(404)
  items(
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: ListItemsQueryDto,
  ): Promise<Page<ItemResponseDto>> {
    return this.jobs.items(id, query);
  }

  @Sse(':id/events')
  @Roles('viewer')
  @UseGuards(JobExistsGuard)
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this event id' })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description:
      'Server-Sent Events: `item.running`, `item.succeeded`, `item.failed`, `item.skipped`, `item.retrying`, ' +
      '`item.cancelled`, `job.*` (with ids) and `progress` (item counts); ends when the job has ended. Starts ' +
      'with a `progress` snapshot and replays at most SSE_REPLAY_EVENTS stored events; `: heartbeat` comments ' +
      'keep an idle stream alive. Over SSE_MAX_STREAMS_PER_PRINCIPAL or SSE_MAX_STREAMS: 429 with Retry-After',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiProblemResponses(404, 429)
  stream(
    @Param('id', ParseUUIDPipe) id: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @Req() request: Request,
  ): Observable<MessageEvent> {
    // Taken before any header is sent (over a cap: a 429 problem); given back when the client leaves, even
    // if the stream never started, and when it ends.
    const lease = this.liveStreams.open(`${principal.kind}:${principal.id}`, `job:${id}`);
    const response = request.res;
    if (response === undefined || request.socket.destroyed || response.closed) {
      lease.release();
    } else {
      response.once('close', () => lease.release());
    }
    return this.events.stream(id, parseLastEventId(lastEventId)).pipe(finalize(() => lease.release()));
  }

  @Post(':id/cancel')
  @Roles('operator')
  @AuditAction('provisioning.job.cancel')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: JobResponseDto, description: 'Pending items cancelled; running items finish' })
  @ApiProblemResponses(404, 409)
  cancel(@Param('id', ParseUUIDPipe) id: string): Promise<JobResponseDto> {
    return this.jobs.cancel(id);
  }

  @Post(':id/retry')
  @Roles('operator')
  @AuditAction('provisioning.job.retry')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: JobResponseDto, description: 'Failed items are pending again (fresh attempts)' })
  @ApiProblemResponses(404, 409)
  retry(@Param('id', ParseUUIDPipe) id: string): Promise<JobResponseDto> {
    return this.jobs.retry(id);
  }

  @Post(':id/resume')
  @Roles('operator')
  @AuditAction('provisioning.job.resume')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({
    type: JobResponseDto,
    description: 'A cancelled job goes on: its cancelled and failed items are pending again (fresh attempts)',
  })
  @ApiProblemResponses(404, 409)
  resume(@Param('id', ParseUUIDPipe) id: string): Promise<JobResponseDto> {
    return this.jobs.resume(id);
  }

  @Get(':id/report')
  @Roles('viewer')
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({
    description: 'Per company: state, reason, error, attempts, calls, step results',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(JobReportDto) } },
      'text/csv': { schema: { type: 'string' } },
    },
  })
  @ApiExtraModels(JobReportDto)
  @ApiProblemResponses(404)
  async report(
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: ReportQueryDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<JobReportDto | StreamableFile> {
    if (query.format === 'json') {
      return this.jobs.report(id);
    }
    const lines = this.jobs.reportCsv(id);
    // The first chunk (the header, after the job is found) is read before answering, so a 404 is still a problem.
    const first = await lines.next();
    response.setHeader('Content-Disposition', `attachment; filename="provisioning-job-${id}.csv"`);
    return new StreamableFile(
      Readable.from(
        (async function* () {
          if (first.done !== true) {
            yield first.value;
          }
          yield* lines;
        })(),
      ),
      { type: 'text/csv; charset=utf-8' },
    );
  }
}
