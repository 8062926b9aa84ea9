import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';

import { AuditAction } from '../audit/audit-action.decorator';
import { Roles } from '../auth/auth.decorators';
import { ApiProblemResponses } from '../common/http/api-problem.decorator';
import { ApiPaginatedResponse, type Page, PaginationQueryDto } from '../common/http/pagination';
import { WebhookSourcesService } from './webhook-sources.service';
import {
  CreateWebhookSourceDto,
  UpdateWebhookSourceDto,
  WebhookSecretCreatedDto,
  WebhookSourceCreatedDto,
  WebhookSourceDto,
} from './webhooks.dto';

@ApiTags('webhooks')
@Controller('webhook-sources')
@Roles('admin')
export class WebhookSourcesController {
  constructor(private readonly sources: WebhookSourcesService) {}

  @Post()
  @AuditAction('webhook-source.create')
  @HttpCode(HttpStatus.CREATED)
  @ApiCreatedResponse({ type: WebhookSourceCreatedDto, description: 'The signing secret is shown only here' })
  @ApiProblemResponses()
  create(@Body() body: CreateWebhookSourceDto): Promise<WebhookSourceCreatedDto> {
    return this.sources.create(body);
  }

  @Get()
  @ApiPaginatedResponse(WebhookSourceDto, 'Sources, oldest first (never a secret)')
  @ApiProblemResponses()
  list(@Query() query: PaginationQueryDto): Promise<Page<WebhookSourceDto>> {
    return this.sources.list(query);
  }

  @Get(':id')
  @ApiOkResponse({ type: WebhookSourceDto })
  @ApiProblemResponses(404)
  get(@Param('id', ParseUUIDPipe) id: string): Promise<WebhookSourceDto> {
    return this.sources.get(id);
  }

  @Patch(':id')
  @AuditAction('webhook-source.update')
  @ApiOkResponse({ type: WebhookSourceDto })
  @ApiProblemResponses(404)
  update(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: UpdateWebhookSourceDto,
  ): Promise<WebhookSourceDto> {
    return this.sources.update(id, body);
  }

  @Delete(':id')
  @AuditAction('webhook-source.delete')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Deleted with its secrets; its events stay' })
  @ApiProblemResponses(404)
  delete(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.sources.delete(id);
  }

  @Post(':id/secrets')
  @AuditAction('webhook-source.add-secret')
  @HttpCode(HttpStatus.CREATED)
  @ApiCreatedResponse({
    type: WebhookSecretCreatedDto,
    description: 'A new active secret (the others stay active until retired), shown only here',
  })
  @ApiProblemResponses(404)
  addSecret(@Param('id', ParseUUIDPipe) id: string): Promise<WebhookSecretCreatedDto> {
    return this.sources.addSecret(id);
  }

  @Delete(':id/secrets/:secretId')
  @AuditAction('webhook-source.retire-secret')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Retired: deliveries signed only with it are refused' })
  @ApiProblemResponses(404, 409)
  retireSecret(
    @Param('id', ParseUUIDPipe) id: string,
    @Param('secretId', ParseUUIDPipe) secretId: string,
  ): Promise<void> {
    return this.sources.retireSecret(id, secretId);
  }
}
