import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { json, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { from, mergeMap, type Observable } from 'rxjs';

import { AppConfig } from '../../config/app-config';
import { refuseUnsafeJsonBodies } from './json-shape';

/**
 * Request bodies that must not be read before the caller is known. The route marks the request (Express
 * middleware mounted on exactly that route, see app.setup.ts), the general parser skips it, and the
 * handler's interceptor reads it once the global auth guard has let the caller through: an anonymous 16 MB
 * POST is answered 401 before one byte of its body is read. The guard stays the one authentication check.
 */
const BODY_DEFERRED = Symbol('tenantry.bodyDeferred');

type Deferrable = Request & { [BODY_DEFERRED]?: true };

/** Express middleware for the routes whose body waits for authentication. */
export function deferBody(request: Request, _response: Response, next: NextFunction): void {
  (request as Deferrable)[BODY_DEFERRED] = true;
  next();
}

/** The general parser, except for requests whose body was deferred. */
export function unlessDeferred(parser: RequestHandler): RequestHandler {
  return (request, response, next) =>
    (request as Deferrable)[BODY_DEFERRED] === true ? next() : parser(request, response, next);
}

/**
 * Reads a deferred JSON body up to BULK_BODY_LIMIT, after the guards (interceptors run after them, and before
 * the pipes that validate `@Body()`). Body-parser errors (413, malformed JSON) reach the problem filter.
 */
@Injectable()
export class BulkBodyInterceptor implements NestInterceptor {
  private readonly parse: RequestHandler;

  constructor(config: AppConfig) {
    this.parse = json({ limit: config.http.bulkBodyLimit });
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<Deferrable>();
    const read = new Promise<void>((resolve, reject) => {
      if (request[BODY_DEFERRED] !== true) {
        // Mounted without the route mark: the general parser has read the body already.
        resolve();
        return;
      }
      const response = http.getResponse<Response>();
      const settle = (error?: unknown): void =>
        error === undefined
          ? resolve()
          : reject(error instanceof Error ? error : new Error('the request body could not be read'));
      // Then the same shape check every other body gets from the middleware (too deep, prototype-named keys).
      void this.parse(request, response, (error?: unknown) =>
        error === undefined ? refuseUnsafeJsonBodies(request, response, settle) : settle(error),
      );
    });
    return from(read).pipe(mergeMap(() => next.handle()));
  }
}
