import { Body, Controller, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { AuditAction } from '../audit/audit-action.decorator';
import { Roles } from '../auth/auth.decorators';
import { ApiProblemResponses } from '../common/http/api-problem.decorator';
import { CreateSubscriberDto, SubscriberResponseDto } from '../subscribers/subscriber.dto';
import { RoleShareRequestDto, SyncResultDto } from './relationships.dto';
import { CompanyRegistration } from './company-registration';
import { RelationshipsService } from './relationships.service';

/**
 * The MiSP relationship lifecycle at iPaaS.com: requested → approved → role_share_pending → active →
 * offboarded, plus local suspend/resume. Each operation answers with the updated subscriber. Vendor answers
 * about the request are 4xx (VENDOR_REJECTED, VENDOR_NOT_FOUND, VENDOR_CONFLICT), vendor faults 502/503
 * (VENDOR_ERROR, VENDOR_UNAVAILABLE); either way the subscriber stays as it was.
 */
@ApiTags('subscribers')
@Controller('subscribers')
@Roles('operator')
export class RelationshipsController {
  constructor(
    private readonly relationships: RelationshipsService,
    private readonly registration: CompanyRegistration,
  ) {}

  @Post()
  @AuditAction('subscriber.create')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    summary: 'Register a company iPaaS.com lists for the MiSP (served, or with a request to the MiSP)',
    description:
      'The company starts in the status iPaaS.com gives it (requested, approved, role_share_pending, active). ' +
      'An id iPaaS.com does not list is refused (422 SUBSCRIBER_UNKNOWN_AT_VENDOR, nothing stored); when ' +
      'iPaaS.com cannot be asked, the company is stored `unverified` (no vendor calls) until the next sync.',
  })
  @ApiCreatedResponse({ type: SubscriberResponseDto })
  @ApiProblemResponses(409, 422)
  create(@Body() body: CreateSubscriberDto): Promise<SubscriberResponseDto> {
    return this.registration.register(body);
  }

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
