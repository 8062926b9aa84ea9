import { Readable } from 'node:stream';

import { Controller, Get, HttpCode, HttpStatus, Post, Query, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';

import { Roles } from '../auth/auth.decorators';
import { ApiProblemResponses } from '../common/http/api-problem.decorator';
import { ApiPaginatedResponse, type Page } from '../common/http/pagination';
import { AuditAction } from './audit-action.decorator';
import type { ChainVerification } from './audit-chain';
import {
  AuditEventDto,
  AuditFilterDto,
  AuditListQueryDto,
  ChainVerificationDto,
  toAuditFilter,
} from './audit.dto';
import { type AuditEventView, AuditService } from './audit.service';

/** The audit trail: read, export, verify. There are deliberately no routes that change or remove a row. */
@ApiTags('audit')
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @Roles('viewer')
  @ApiPaginatedResponse(AuditEventDto, 'Audit rows, newest first')
  @ApiProblemResponses()
  list(@Query() query: AuditListQueryDto): Promise<Page<AuditEventView>> {
    return this.audit.list(toAuditFilter(query), query);
  }

  @Get('export')
  @Roles('viewer')
  @ApiProduces('text/csv')
  @ApiOkResponse({
    description:
      'Every matching row, newest first, as RFC 4180 CSV with a header line (streamed; cells a spreadsheet ' +
      "would run as formulas are prefixed with ')",
    content: { 'text/csv': { schema: { type: 'string' } } },
  })
  @ApiProblemResponses()
  export(@Query() query: AuditFilterDto): StreamableFile {
    // Nest's StreamableFile logs a failure mid-stream and destroys the response, so a cut export never looks whole.
    return new StreamableFile(Readable.from(this.audit.exportCsv(toAuditFilter(query))), {
      type: 'text/csv; charset=utf-8',
      disposition: 'attachment; filename="audit.csv"',
    });
  }

  @Post('verify')
  @HttpCode(HttpStatus.OK)
  @Roles('admin')
  @AuditAction('audit.verify')
  @ApiOkResponse({ type: ChainVerificationDto })
  @ApiProblemResponses()
  verify(): Promise<ChainVerification> {
    return this.audit.verify();
  }
}
