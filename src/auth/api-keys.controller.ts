import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';

import { AuditAction } from '../audit/audit-action.decorator';
import { type AuditContext, CurrentAuditContext } from '../audit/audit-context';
import { ApiProblemResponses } from '../common/http/api-problem.decorator';
import { ApiPaginatedResponse, type Page, PaginationQueryDto } from '../common/http/pagination';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto, TransferApiKeyDto } from './api-keys.dto';
import { ApiKeysService } from './api-keys.service';
import { Roles } from './auth.decorators';
import { CurrentPrincipal, type Principal } from './principal';

@ApiTags('api-keys')
@Controller('api-keys')
@Roles('admin')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @HttpCode(HttpStatus.CREATED)
  @AuditAction('api_key.create')
  @ApiCreatedResponse({ type: CreatedApiKeyDto, description: 'The only response that ever shows the secret' })
  @ApiProblemResponses()
  create(@Body() body: CreateApiKeyDto, @CurrentPrincipal() creator: Principal): Promise<CreatedApiKeyDto> {
    return this.apiKeys.create(body, creator);
  }

  @Get()
  @ApiPaginatedResponse(
    ApiKeyDto,
    'API keys (revoked and expired included) with their owners, oldest first; never the secrets',
  )
  @ApiProblemResponses()
  list(@Query() query: PaginationQueryDto): Promise<Page<ApiKeyDto>> {
    return this.apiKeys.list(query);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @AuditAction('api_key.revoke')
  @ApiNoContentResponse({ description: 'Revoked: refused from the next request on' })
  @ApiProblemResponses(404)
  async revoke(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.apiKeys.revoke(id);
  }

  @Post(':id/transfer')
  @HttpCode(HttpStatus.OK)
  @AuditAction('api_key.transfer')
  @ApiOkResponse({
    type: ApiKeyDto,
    description: "Owned by another staff user from the next request on, its role capped at the new owner's",
  })
  @ApiProblemResponses(404, 409)
  transfer(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: TransferApiKeyDto,
    @CurrentAuditContext() context: AuditContext,
  ): Promise<ApiKeyDto> {
    return this.apiKeys.transfer(id, body.ownerId, context);
  }
}
