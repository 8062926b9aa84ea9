import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';

import { Public } from '../auth/auth.decorators';
import { ApiProblemResponses } from '../common/http/api-problem.decorator';
import { ApiPaginatedResponse, type Page } from '../common/http/pagination';
import { ListProblemTypesQueryDto, ProblemTypeDto } from './problem-type.dto';
import { ProblemsService } from './problems.service';

@ApiTags('problems')
@Public()
@Controller('problems')
export class ProblemsController {
  constructor(private readonly problems: ProblemsService) {}

  @Get()
  @ApiPaginatedResponse(ProblemTypeDto, 'The error codes Tenantry answers with')
  @ApiProblemResponses()
  list(@Query() query: ListProblemTypesQueryDto): Page<ProblemTypeDto> {
    return this.problems.list(query);
  }

  @Get(':code')
  @ApiOkResponse({ type: ProblemTypeDto })
  @ApiProblemResponses(404)
  get(@Param('code') code: string): ProblemTypeDto {
    return this.problems.get(code);
  }
}
