import { Body, Controller, Get, Header, HttpCode, HttpStatus, Post, UseGuards } from '@nestjs/common';
import { ApiBody, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';

import { AuditAction } from '../audit/audit-action.decorator';
import { ApiProblemResponses } from '../common/http/api-problem.decorator';
import { LoginDto, MeDto, RefreshDto, TokenPairDto } from './auth.dto';
import { Public, Roles } from './auth.decorators';
import { LoginGuard } from './login.guard';
import { CurrentPrincipal, type Principal } from './principal';
import { SessionsService } from './sessions.service';
import { StaffService } from './staff.service';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly staff: StaffService,
  ) {}

  @Post('login')
  @Public()
  @UseGuards(LoginGuard)
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @AuditAction('auth.login')
  @ApiBody({ type: LoginDto })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiProblemResponses(401, 429)
  login(@CurrentPrincipal() principal: Principal): Promise<TokenPairDto> {
    return this.sessions.start(principal);
  }

  @Post('refresh')
  @Public()
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @AuditAction('auth.refresh')
  @ApiOkResponse({ type: TokenPairDto, description: 'A new pair; the refresh token sent is used up' })
  @ApiProblemResponses(401)
  refresh(@Body() body: RefreshDto): Promise<TokenPairDto> {
    return this.sessions.refresh(body.refresh_token);
  }

  @Post('logout')
  @Roles('viewer')
  @HttpCode(HttpStatus.NO_CONTENT)
  @AuditAction('auth.logout')
  @ApiNoContentResponse({
    description: 'The session (its access and refresh tokens) is ended; no-op for API keys',
  })
  @ApiProblemResponses()
  async logout(@CurrentPrincipal() principal: Principal): Promise<void> {
    if (principal.sessionId !== null) {
      await this.sessions.end(principal.sessionId);
    }
  }

  @Get('me')
  @Roles('viewer')
  @ApiOkResponse({ type: MeDto })
  @ApiProblemResponses()
  async me(@CurrentPrincipal() principal: Principal): Promise<MeDto> {
    const { kind, id, staffId, label, role } = principal;
    if (kind !== 'staff') {
      return { kind, id, staffId, label, role };
    }
    const user = await this.staff.get(id);
    return { kind, id, staffId, label, role, email: user.email, name: user.name };
  }
}
