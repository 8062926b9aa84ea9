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
  Query,
} from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';

import { AuditAction } from '../audit/audit-action.decorator';
import { Roles } from '../auth/auth.decorators';
import { ApiProblemResponses } from '../common/http/api-problem.decorator';
import { ApiPaginatedResponse, type Page } from '../common/http/pagination';
import { ListSubscribersQueryDto, SubscriberResponseDto, UpdateSubscriberDto } from './subscriber.dto';
import { SubscribersService } from './subscribers.service';

/**
 * The registry. Registration (POST /v1/subscribers, checked at iPaaS.com) and the relationship operations
 * (sync, approve, offboard, …) are in src/relationships.
 */
@ApiTags('subscribers')
@Controller('subscribers')
export class SubscribersController {
  constructor(private readonly subscribers: SubscribersService) {}

  @Get()
  @Roles('viewer')
  @ApiPaginatedResponse(SubscriberResponseDto, 'Subscriber companies (oldest first unless sorted)')
  @ApiProblemResponses()
  list(@Query() query: ListSubscribersQueryDto): Promise<Page<SubscriberResponseDto>> {
    return this.subscribers.list(query);
  }

  @Get(':id')
  @Roles('viewer')
  @ApiOkResponse({ type: SubscriberResponseDto })
  @ApiProblemResponses(404)
  get(@Param('id', ParseUUIDPipe) id: string): Promise<SubscriberResponseDto> {
    return this.subscribers.view(id);
  }

  @Patch(':id')
  @Roles('operator')
  @AuditAction('subscriber.update')
  @ApiOkResponse({ type: SubscriberResponseDto })
  @ApiProblemResponses(404, 409)
  update(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: UpdateSubscriberDto,
  ): Promise<SubscriberResponseDto> {
    return this.subscribers.update(id, body);
  }

  @Delete(':id')
  @Roles('operator')
  @AuditAction('subscriber.delete')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Forgotten (offboarded subscribers only), with its tags' })
  @ApiProblemResponses(404, 409)
  async remove(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.subscribers.remove(id);
  }
}
