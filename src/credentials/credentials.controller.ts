import { Controller, Delete, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';

import { Roles } from '../auth/auth.decorators';
import { ApiProblemResponses } from '../common/http/api-problem.decorator';
import { CredentialViewDto } from './credentials.dto';
import { CredentialsService } from './credentials.service';

/** Read and remove a company's credential. Setting one (PUT) verifies it at the vendor: src/company-context. */
@ApiTags('credentials')
@Controller('subscribers/:id/credential')
export class CredentialsController {
  constructor(private readonly credentials: CredentialsService) {}

  @Get()
  @Roles('viewer')
  @ApiOkResponse({ type: CredentialViewDto, description: 'Metadata only; the secret is never returned' })
  @ApiProblemResponses(404)
  get(@Param('id', ParseUUIDPipe) subscriberId: string): Promise<CredentialViewDto> {
    return this.credentials.getCredential(subscriberId);
  }

  @Delete()
  @Roles('operator')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Removed; vendor calls for the company stop until a new one is set' })
  @ApiProblemResponses(404)
  async delete(@Param('id', ParseUUIDPipe) subscriberId: string): Promise<void> {
    await this.credentials.deleteCredential(subscriberId);
  }
}
