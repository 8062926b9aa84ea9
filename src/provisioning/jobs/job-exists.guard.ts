import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import type { Request } from 'express';

import { AppError } from '../../common/errors/app-error';
import { LedgerRepository } from '../ledger/ledger.repository';

/**
 * Answers 404 for an unknown job before an event stream starts. Nest sends the headers of an SSE response
 * on the next macrotask, before any database read inside the handler could finish, so the check has to run
 * in a guard (after the global auth guard; a malformed id is left to the ParseUUIDPipe).
 */
@Injectable()
export class JobExistsGuard implements CanActivate {
  constructor(private readonly ledger: LedgerRepository) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const id = context.switchToHttp().getRequest<Request>().params.id;
    if (typeof id === 'string' && isUUID(id) && (await this.ledger.findJob(id)) === null) {
      throw AppError.notFound(`Provisioning job ${id}`);
    }
    return true;
  }
}
