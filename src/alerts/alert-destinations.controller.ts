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
import { Roles } from '../auth/auth.decorators';
import { ApiProblemResponses } from '../common/http/api-problem.decorator';
import { ApiPaginatedResponse, type Page, PaginationQueryDto } from '../common/http/pagination';
import { AlertDestinationDto, AlertDestinationWithSecretDto, CreateAlertDestinationDto } from './alerts.dto';
import { AlertDestinationsService } from './alert-destinations.service';

@ApiTags('alerts')
@Controller('alert-destinations')
@Roles('admin')
export class AlertDestinationsController {
  constructor(private readonly destinations: AlertDestinationsService) {}

  @Post()
  @AuditAction('alert-destination.create')
  @HttpCode(HttpStatus.CREATED)
  @ApiCreatedResponse({
    type: AlertDestinationWithSecretDto,
    description: 'The signing secret is shown only here',
  })
  @ApiProblemResponses()
  create(@Body() body: CreateAlertDestinationDto): Promise<AlertDestinationWithSecretDto> {
    return this.destinations.create(body);
  }

  @Get()
  @ApiPaginatedResponse(AlertDestinationDto, 'Destinations, oldest first (never the secret)')
  @ApiProblemResponses()
  list(@Query() query: PaginationQueryDto): Promise<Page<AlertDestinationDto>> {
    return this.destinations.list(query);
  }

  @Post(':id/rotate-secret')
  @AuditAction('alert-destination.rotate-secret')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: AlertDestinationWithSecretDto, description: 'The new secret, shown only here' })
  @ApiProblemResponses(404)
  rotateSecret(@Param('id', ParseUUIDPipe) id: string): Promise<AlertDestinationWithSecretDto> {
    return this.destinations.rotateSecret(id);
  }

  @Delete(':id')
  @AuditAction('alert-destination.delete')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Deleted; its undelivered alerts are marked failed' })
  @ApiProblemResponses(404)
  delete(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.destinations.delete(id);
  }
}
