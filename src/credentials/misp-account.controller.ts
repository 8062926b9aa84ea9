import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';

import { Roles } from '../auth/auth.decorators';
import { AppError } from '../common/errors/app-error';
import { ApiProblemResponses } from '../common/http/api-problem.decorator';
import { MispAccountViewDto } from './credentials.dto';
import { CredentialsService } from './credentials.service';

/** Read the MiSP login's metadata. Setting it (PUT) logs in at the vendor: src/company-context. */
@ApiTags('credentials')
@Controller('misp-account')
export class MispAccountController {
  constructor(private readonly credentials: CredentialsService) {}

  @Get()
  @Roles('viewer')
  @ApiOkResponse({ type: MispAccountViewDto, description: 'Metadata only; the password is never returned' })
  @ApiProblemResponses(404)
  async get(): Promise<MispAccountViewDto> {
    const account = await this.credentials.getMispAccount();
    if (account === null) {
      throw AppError.notFound('The MiSP account');
    }
    return account;
  }
}
