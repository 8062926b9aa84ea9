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
import { type AuditContext, CurrentAuditContext } from '../audit/audit-context';
import { ApiProblemResponses } from '../common/http/api-problem.decorator';
import { ApiPaginatedResponse, type Page, PaginationQueryDto } from '../common/http/pagination';
import { Roles } from './auth.decorators';
import { CreateStaffDto, DeleteStaffQueryDto, StaffUserDto, UpdateStaffDto } from './staff.dto';
import { StaffService } from './staff.service';
import { StaffAccessService } from './staff-access.service';

@ApiTags('staff')
@Controller('staff')
@Roles('admin')
export class StaffController {
  constructor(
    private readonly staff: StaffService,
    private readonly access: StaffAccessService,
  ) {}

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
  @ApiOkResponse({
    type: StaffUserDto,
    description: 'Disabling stops the user’s API keys until re-enabled; demoting caps them at the new role',
  })
  @ApiProblemResponses(404, 409)
  update(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: UpdateStaffDto,
    @CurrentAuditContext() context: AuditContext,
  ): Promise<StaffUserDto> {
    return this.access.update(id, body, context);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @AuditAction('staff.delete')
  @ApiNoContentResponse({
    description: 'Deleted with its sessions; its API keys revoked or transferred as `keys` says',
  })
  @ApiProblemResponses(404, 409)
  async delete(
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: DeleteStaffQueryDto,
    @CurrentAuditContext() context: AuditContext,
  ): Promise<void> {
    await this.access.delete(id, query.disposal(), context);
  }
}
