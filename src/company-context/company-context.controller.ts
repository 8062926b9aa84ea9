import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post, Put, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';

import { Roles } from '../auth/auth.decorators';
import { AppError } from '../common/errors/app-error';
import { ApiProblemResponses } from '../common/http/api-problem.decorator';
import { CredentialViewDto, MispAccountViewDto } from '../credentials/credentials.dto';
import { CompanyContextService } from './company-context.service';
import { PutCredentialDto, PutCredentialQueryDto, PutMispAccountDto } from './company-context.dto';

/** Routes that store or check a secret against iPaaS.com before keeping it. Responses carry metadata only. */
@ApiTags('credentials')
@Controller()
export class CompanyContextController {
  constructor(private readonly companyContext: CompanyContextService) {}

  @Put('misp-account')
  @Roles('admin')
  @ApiOkResponse({ type: MispAccountViewDto, description: 'Verified by logging in, then stored encrypted' })
  @ApiProblemResponses(422, 503)
  putMispAccount(@Body() body: PutMispAccountDto): Promise<MispAccountViewDto> {
    return this.companyContext.replaceMispLogin(body.email, body.password);
  }

  @Put('subscribers/:id/credential')
  @Roles('operator')
  @ApiOkResponse({ type: CredentialViewDto, description: 'The stored credential (metadata only)' })
  @ApiProblemResponses(404, 409, 422, 503)
  putCredential(
    @Param('id', ParseUUIDPipe) subscriberId: string,
    @Body() body: PutCredentialDto,
    @Query() query: PutCredentialQueryDto,
  ): Promise<CredentialViewDto> {
    if (body.kind === 'api_key') {
      const expiresAt = body.expiresAt === undefined ? null : new Date(body.expiresAt);
      return this.companyContext.replaceWithApiKey(
        subscriberId,
        body.apiKey as string,
        query.verify,
        expiresAt,
      );
    }
    if (body.expiresAt !== undefined) {
      // A minted session's expiry comes from iPaaS.com and renews itself.
      throw AppError.validation([{ field: 'expiresAt', message: 'expiresAt is only for kind api_key' }]);
    }
    return this.companyContext.replaceWithNewSession(subscriberId);
  }

  @Post('subscribers/:id/credential/verify')
  @Roles('operator')
  @HttpCode(200)
  @ApiOkResponse({
    type: CredentialViewDto,
    description: 'A live authenticated read as the company succeeded',
  })
  @ApiProblemResponses(404, 409, 503)
  verifyCredential(@Param('id', ParseUUIDPipe) subscriberId: string): Promise<CredentialViewDto> {
    return this.companyContext.verifyCredential(subscriberId);
  }

  @Post('subscribers/:id/quota/reset')
  @Roles('operator')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'The monthly-quota flag is cleared; calls resume' })
  @ApiProblemResponses(404)
  async resetQuota(@Param('id', ParseUUIDPipe) subscriberId: string): Promise<void> {
    await this.companyContext.resetQuota(subscriberId);
  }
}
