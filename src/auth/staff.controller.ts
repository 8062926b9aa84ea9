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
import { ApiProblemResponses } from '../common/http/api-problem.decorator';
import { ApiPaginatedResponse, type Page, PaginationQueryDto } from '../common/http/pagination';
import { Roles } from './auth.decorators';
import { CreateStaffDto, StaffUserDto, UpdateStaffDto } from './staff.dto';
import { StaffService } from './staff.service';

@ApiTags('staff')
@Controller('staff')
@Roles('admin')
export class StaffController {
  constructor(private readonly staff: StaffService) {}

  @Post()
  @HttpCode(HttpStatus.CREATED)
  @AuditAction('staff.create')
  @ApiCreatedResponse({ type: StaffUserDto })
  @ApiProblemResponses(409)
  create(@Body() body: CreateStaffDto): Promise<StaffUserDto> {
    return this.staff.create(body);
  }

  @Get()
  @ApiPaginatedResponse(StaffUserDto, 'Staff users, oldest first')
  @ApiProblemResponses()
  list(@Query() query: PaginationQueryDto): Promise<Page<StaffUserDto>> {
    return this.staff.list(query);
  }

  @Get(':id')
  @ApiOkResponse({ type: StaffUserDto })
  @ApiProblemResponses(404)
  get(@Param('id', ParseUUIDPipe) id: string): Promise<StaffUserDto> {
    return this.staff.get(id);
  }

  @Patch(':id')
  @AuditAction('staff.update')
  @ApiOkResponse({ type: StaffUserDto })
  @ApiProblemResponses(404, 409)
  update(@Param('id', ParseUUIDPipe) id: string, @Body() body: UpdateStaffDto): Promise<StaffUserDto> {
    return this.staff.update(id, body);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @AuditAction('staff.delete')
  @ApiNoContentResponse({
    description: 'Deleted with its sessions; API keys it created stay (creator: null)',
  })
  @ApiProblemResponses(404, 409)
  async delete(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.staff.delete(id);
  }
}
