import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';

import { AuditAction } from '../../audit/audit-action.decorator';
import { Roles } from '../../auth/auth.decorators';
import { CurrentPrincipal, type Principal } from '../../auth/principal';
import { ApiProblemResponses } from '../../common/http/api-problem.decorator';
import { ApiPaginatedResponse, type Page, PaginationQueryDto } from '../../common/http/pagination';
import { CreateTemplateDto, TemplateResponseDto, UpdateTemplateDto } from './templates.dto';
import { TemplatesService } from './templates.service';

const actorOf = (principal: Principal | undefined): string => principal?.label ?? 'system';

@ApiTags('provisioning')
@Controller('provisioning/templates')
export class TemplatesController {
  constructor(private readonly templates: TemplatesService) {}

  @Post()
  @Roles('operator')
  @AuditAction('provisioning.template.create')
  @HttpCode(HttpStatus.CREATED)
  @ApiCreatedResponse({ type: TemplateResponseDto, description: 'Version 1 of a new template' })
  @ApiProblemResponses(409)
  create(
    @Body() body: CreateTemplateDto,
    @CurrentPrincipal() principal: Principal | undefined,
  ): Promise<TemplateResponseDto> {
    return this.templates.create(body, actorOf(principal));
  }

  @Get()
  @Roles('viewer')
  @ApiPaginatedResponse(TemplateResponseDto, 'The latest version of each template, by name')
  @ApiProblemResponses()
  list(@Query() query: PaginationQueryDto): Promise<Page<TemplateResponseDto>> {
    return this.templates.listLatest(query);
  }

  @Get(':id')
  @Roles('viewer')
  @ApiOkResponse({ type: TemplateResponseDto, description: 'This version' })
  @ApiProblemResponses(404)
  get(@Param('id', ParseUUIDPipe) id: string): Promise<TemplateResponseDto> {
    return this.templates.get(id);
  }

  @Get(':id/versions')
  @Roles('viewer')
  @ApiPaginatedResponse(TemplateResponseDto, 'Every version of the template, newest first')
  @ApiProblemResponses(404)
  versions(
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: PaginationQueryDto,
  ): Promise<Page<TemplateResponseDto>> {
    return this.templates.listVersions(id, query);
  }

  @Put(':id')
  @Roles('operator')
  @AuditAction('provisioning.template.update')
  @ApiOkResponse({ type: TemplateResponseDto, description: 'The new version (earlier versions are kept)' })
  @ApiProblemResponses(404, 409)
  update(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: UpdateTemplateDto,
    @CurrentPrincipal() principal: Principal | undefined,
  ): Promise<TemplateResponseDto> {
    return this.templates.update(id, body, actorOf(principal));
  }
}
