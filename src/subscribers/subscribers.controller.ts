import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';

import { ApiProblemResponses } from '../common/http/api-problem.decorator';
import { ApiPaginatedResponse, type Page, PaginationQueryDto } from '../common/http/pagination';
import { CreateSubscriberDto, SubscriberResponseDto } from './subscriber.dto';
import { SubscribersService } from './subscribers.service';

@ApiTags('subscribers')
@Controller('subscribers')
export class SubscribersController {
  constructor(private readonly subscribers: SubscribersService) {}

  @Post()
  @HttpCode(HttpStatus.CREATED)
  @ApiCreatedResponse({ type: SubscriberResponseDto })
  @ApiProblemResponses(409)
  create(@Body() body: CreateSubscriberDto): Promise<SubscriberResponseDto> {
    return this.subscribers.create(body);
  }

  @Get()
  @ApiPaginatedResponse(SubscriberResponseDto, 'Subscriber companies, oldest first')
  @ApiProblemResponses()
  list(@Query() query: PaginationQueryDto): Promise<Page<SubscriberResponseDto>> {
    return this.subscribers.list(query);
  }

  @Get(':id')
  @ApiOkResponse({ type: SubscriberResponseDto })
  @ApiProblemResponses(404)
  get(@Param('id', ParseUUIDPipe) id: string): Promise<SubscriberResponseDto> {
    return this.subscribers.get(id);
  }
}
