import {
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';

import { AuditAction, AuditedByHandler } from '../audit/audit-action.decorator';
import { Public, Roles } from '../auth/auth.decorators';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { roleAllows } from '../auth/roles';
import { ApiProblemResponses } from '../common/http/api-problem.decorator';
import { ApiPaginatedResponse, type Page } from '../common/http/pagination';
import { WebhookEventsService } from './webhook-events.service';
import { WebhookReceiverService } from './webhook-receiver.service';
import {
  WebhookEventDetailDto,
  WebhookEventDto,
  WebhookEventsQueryDto,
  WebhookReceiptDto,
} from './webhooks.dto';

@ApiTags('webhooks')
@Controller('webhooks')
export class WebhooksController {
  constructor(
    private readonly receiver: WebhookReceiverService,
    private readonly events: WebhookEventsService,
  ) {}

  @Get('events')
  @Roles('viewer')
  @ApiPaginatedResponse(WebhookEventDto, 'Received events, newest first (no payloads)')
  @ApiProblemResponses()
  list(@Query() query: WebhookEventsQueryDto): Promise<Page<WebhookEventDto>> {
    return this.events.list(query);
  }

  @Get('events/:id')
  @Roles('viewer')
  @ApiOkResponse({ type: WebhookEventDetailDto, description: 'The payload only for operators and admins' })
  @ApiProblemResponses(404)
  get(
    @Param('id', ParseUUIDPipe) id: string,
    @CurrentPrincipal() caller: Principal,
  ): Promise<WebhookEventDetailDto> {
    // Billing and CRM payloads carry customers' personal data: viewers see the event's metadata only.
    return this.events.get(id, roleAllows(caller.role, 'operator'));
  }

  @Post('events/:id/replay')
  @Roles('admin')
  @AuditAction('webhook-event.replay')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: WebhookEventDetailDto, description: 'Re-run through the current rules' })
  @ApiProblemResponses(404, 409, 422)
  replay(@Param('id', ParseUUIDPipe) id: string): Promise<WebhookEventDetailDto> {
    return this.events.replay(id);
  }

  @Post(':sourceId')
  @Public()
  @AuditedByHandler()
  @ApiOperation({
    summary: 'Receive a signed event',
    description:
      'Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature) or the source’s HMAC header, ' +
      'verified over the raw body. 202: stored and handed over; 200: a duplicate, with the first outcome.',
  })
  @ApiConsumes('application/json')
  @ApiBody({ schema: { type: 'object', additionalProperties: true } })
  @ApiAcceptedResponse({ type: WebhookReceiptDto })
  @ApiOkResponse({ type: WebhookReceiptDto, description: 'A duplicate delivery: nothing new was created' })
  @ApiProblemResponses(401, 404, 413, 422, 429)
  async receive(
    @Param('sourceId') sourceId: string,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<WebhookReceiptDto> {
    const receipt = await this.receiver.receive(
      sourceId,
      request.headers,
      request.body,
      typeof request.id === 'string' ? request.id : null,
    );
    response.status(receipt.status);
    return receipt.body;
  }
}
