import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';

import { Roles } from '../auth/auth.decorators';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { ApiProblemResponses } from '../common/http/api-problem.decorator';
import { ApiPaginatedResponse, type Page } from '../common/http/pagination';
import { AlertDto, AlertsQueryDto } from './alerts.dto';
import { AlertsService } from './alerts.service';

@ApiTags('alerts')
@Controller('alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  @Get()
  @Roles('viewer')
  @ApiPaginatedResponse(AlertDto, 'Alerts, newest first, each with its delivery log')
  @ApiProblemResponses()
  list(@Query() query: AlertsQueryDto, @CurrentPrincipal() principal: Principal): Promise<Page<AlertDto>> {
    return this.alerts.list(principal, query);
  }
}
