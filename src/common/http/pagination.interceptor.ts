import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { map, type Observable } from 'rxjs';

import { Page, PAGINATION_HEADER } from './pagination';

/** Unwraps a `Page` returned by a controller into the array body plus the `X-Pagination` header. */
@Injectable()
export class PaginationInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((result: unknown) => {
        if (!(result instanceof Page)) {
          return result;
        }
        context.switchToHttp().getResponse<Response>().setHeader(PAGINATION_HEADER, result.toHeader());
        return result.items as unknown[];
      }),
    );
  }
}
