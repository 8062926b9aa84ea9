import { Body, Controller, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { AuditAction } from '../audit/audit-action.decorator';
import { Roles } from '../auth/auth.decorators';
import { ApiProblemResponses } from '../common/http/api-problem.decorator';
import { SubscriberResponseDto } from '../subscribers/subscriber.dto';
import { RoleShareRequestDto, SyncResultDto } from './relationships.dto';
import { RelationshipsService } from './relationships.service';

/**
 * The MiSP relationship lifecycle at iPaaS.com: requested → approved → role_share_pending → active →
 * offboarded, plus local suspend/resume. Each operation answers with the updated subscriber. Vendor faults
 * answer 502/503 (VENDOR_*) and leave the subscriber as it was.
 */
@ApiTags('subscribers')
@Controller('subscribers')
@Roles('operator')
export class RelationshipsController {
  constructor(private readonly relationships: RelationshipsService) {}

  @Post('sync')
  @AuditAction('subscriber.sync')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Import subscriber requests, role shares, subscribers and companies from iPaaS.com',
    description: 'Upserts by company id; a repeated sync with no vendor change writes nothing.',
  })
  @ApiOkResponse({ type: SyncResultDto })
  @ApiProblemResponses(409, 422, 502, 503)
  sync(): Promise<SyncResultDto> {
    return this.relationships.sync();
  }

  @Post(':id/approve')
  @AuditAction('subscriber.approve')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Approve the pending subscriber request (requested → approved)' })
  @ApiOkResponse({ type: SubscriberResponseDto })
  @ApiProblemResponses(404, 409, 422, 502, 503)
  approve(@Param('id', ParseUUIDPipe) id: string): Promise<SubscriberResponseDto> {
    return this.relationships.approve(id);
  }

  @Post(':id/deny')
  @AuditAction('subscriber.deny')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Deny the pending subscriber request (requested → offboarded)' })
  @ApiOkResponse({ type: SubscriberResponseDto })
  @ApiProblemResponses(404, 409, 422, 502, 503)
  deny(@Param('id', ParseUUIDPipe) id: string): Promise<SubscriberResponseDto> {
    return this.relationships.deny(id);
  }

  @Post(':id/role-shares')
  @AuditAction('subscriber.request_role_share')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Ask the subscriber to share a role with the MiSP (→ role_share_pending unless already active)',
  })
  @ApiOkResponse({ type: SubscriberResponseDto })
  @ApiProblemResponses(404, 409, 422, 502, 503)
  requestRoleShare(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: RoleShareRequestDto,
  ): Promise<SubscriberResponseDto> {
    return this.relationships.requestRoleShare(id, body);
  }

  @Post(':id/suspend')
  @AuditAction('subscriber.suspend')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Local only: no jobs, checks or vendor calls for the company (active → suspended)',
  })
  @ApiOkResponse({ type: SubscriberResponseDto })
  @ApiProblemResponses(404, 409)
  suspend(@Param('id', ParseUUIDPipe) id: string): Promise<SubscriberResponseDto> {
    return this.relationships.suspend(id);
  }

  @Post(':id/resume')
  @AuditAction('subscriber.resume')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Undo a suspension (suspended → active)' })
  @ApiOkResponse({ type: SubscriberResponseDto })
  @ApiProblemResponses(404, 409)
  resume(@Param('id', ParseUUIDPipe) id: string): Promise<SubscriberResponseDto> {
    return this.relationships.resume(id);
  }

  @Post(':id/offboard')
  @AuditAction('subscriber.offboard')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary:
      'Remove the subscriber at iPaaS.com (permanent), delete its credential; repeating it is harmless',
  })
  @ApiOkResponse({ type: SubscriberResponseDto })
  @ApiProblemResponses(404, 409, 422, 502, 503)
  offboard(@Param('id', ParseUUIDPipe) id: string): Promise<SubscriberResponseDto> {
    return this.relationships.offboard(id);
  }
}
