import { Injectable } from '@nestjs/common';

import { AppError } from '../common/errors/app-error';
import { ERROR_CATALOG, ErrorCode, problemTypeUri } from '../common/errors/error-code';
import { Page } from '../common/http/pagination';
import type { ListProblemTypesQueryDto, ProblemTypeDto } from './problem-type.dto';

const PROBLEM_TYPES: ProblemTypeDto[] = Object.values(ErrorCode).map((code) => ({
  code,
  ...ERROR_CATALOG[code],
  type: problemTypeUri(code),
}));

/** The catalogue of error codes, so clients can look up the `type` URI of any problem response. */
@Injectable()
export class ProblemsService {
  list(query: ListProblemTypesQueryDto): Page<ProblemTypeDto> {
    const matching = PROBLEM_TYPES.filter(
      (problem) => query.status === undefined || problem.status === query.status,
    );
    return Page.slice(matching, query);
  }

  get(code: string): ProblemTypeDto {
    const found = PROBLEM_TYPES.find((problem) => problem.code === (code as ErrorCode));
    if (found === undefined) {
      throw AppError.notFound(`Problem type ${code}`);
    }
    return found;
  }
}
