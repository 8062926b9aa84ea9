import { VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { type Express, json, raw, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';

import { API_KEY_HEADER, API_KEY_SCHEME, BEARER_SCHEME } from './auth/auth.decorators';
import { AppError } from './common/errors/app-error';
import { ErrorCode } from './common/errors/error-code';
import { writeProblem } from './common/errors/problem-details.filter';
import { answerClientErrorsAsProblems } from './common/http/client-errors';
import { refuseUnsafeJsonBodies } from './common/http/json-shape';
import { PAGINATION_HEADER } from './common/http/pagination';
import { deferBody, unlessDeferred } from './common/http/request-bodies';
import { assignRequestId } from './common/http/request-id';
import type { AppConfig } from './config/app-config';
import { AppModule, type AppModuleOptions } from './app.module';

export type CreateAppOptions = Omit<AppModuleOptions, 'config'>;

/** Builds the application exactly as production runs it; `main.ts` and the e2e harness both call this. */
export async function createApp(
  config: AppConfig,
  options: CreateAppOptions = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register({ config, ...options }), {
    bufferLogs: true,
    bodyParser: false,
    abortOnError: false,
  });
  configureApp(app, config);
  return app;
}

/*
 * Routes with their own body handling, in Express route syntax. They are mounted as routes of the same Express
 * router that serves Nest's handlers, so they match exactly what the router matches (case-insensitively, with
 * or without a trailing slash), never a path the router would route elsewhere.
 */
/** The one route that takes a large body (BULK_BODY_LIMIT), read only after authentication. */
const BULK_JOB_ROUTE = '/v1/provisioning/jobs';
/** The webhook receiver (WebhooksController `POST :sourceId`): raw bytes, for the signature. */
const WEBHOOK_RECEIVER_ROUTE = '/v1/webhooks/:sourceId';

/** A Content-Encoding other than identity: the bytes signed are not the bytes received. */
function isEncoded(request: Request): boolean {
  const encoding = request.headers['content-encoding'];
  return encoding !== undefined && encoding.trim().toLowerCase() !== 'identity';
}

export function configureApp(app: NestExpressApplication, config: AppConfig): void {
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.use(helmet());
  const { corsOrigins, bodyLimit } = config.http;
  // No inflation: a signature is over the bytes sent; a compressed body is refused below instead of verified
  // after inflating it (which would also open a decompression bomb before the signature is checked).
  const webhookBody = raw({ type: () => true, limit: config.webhooks.bodyLimit, inflate: false });
  if (corsOrigins.length > 0) {
    app.enableCors({ origin: corsOrigins, exposedHeaders: [PAGINATION_HEADER, 'X-Request-Id'] });
  }
  // The body parser runs before Nest's middleware (where pino-http lives), so the request id is assigned
  // here first; pino-http keeps an id that is already set.
  app.use((request: Request, response: Response, next: NextFunction) => {
    request.id = assignRequestId(request, response);
    next();
  });
  const router: Express = app.getHttpAdapter().getInstance();
  // A bulk job carries up to 10,000 rows: its body is read after the auth guard, by the handler's
  // BulkBodyInterceptor (src/common/http/request-bodies.ts); every other route has the general limit.
  router.post(BULK_JOB_ROUTE, deferBody);
  // Webhook signatures are over the exact bytes sent, so the receiver gets them unparsed (a Buffer); it parses
  // the JSON itself once the signature verified. Senders do not compress (Standard Webhooks signs the body as
  // sent), so an encoded body is refused: 415.
  router.post(WEBHOOK_RECEIVER_ROUTE, (request: Request, response: Response, next: NextFunction) =>
    isEncoded(request)
      ? next(
          new AppError(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            'Send webhook deliveries without Content-Encoding: the signature is checked over the bytes received',
          ),
        )
      : webhookBody(request, response, next),
  );
  app.use(unlessDeferred(json({ limit: bodyLimit })));
  // Every parsed body, before any guard, interceptor or pipe walks it: too deep or with prototype-named keys.
  // (The deferred bulk body is checked the same way once BulkBodyInterceptor has read it.)
  app.use(refuseUnsafeJsonBodies);
  // Body-parser errors (malformed JSON, too large) never reach a Nest route, so this Express error handler
  // writes the same problem body as the global filter, and the access log line pino-http would have written.
  app.use((error: unknown, request: Request, response: Response, _next: NextFunction) => {
    writeProblem(error, request, response, logger);
    logger.warn(
      {
        reqId: request.id,
        req: { method: request.method, path: request.path },
        res: { statusCode: response.statusCode },
      },
      'request rejected before routing',
    );
  });
  // Requests Node's HTTP parser refuses (URL or headers over 16 KB) get a problem body too.
  answerClientErrorsAsProblems(app.getHttpServer());
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
  app.enableShutdownHooks();
  setUpOpenApi(app);
}

function setUpOpenApi(app: NestExpressApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Tenantry')
      .setDescription(
        'Run many iPaaS.com subscriber companies as one fleet. Errors are RFC 9457 problem+json with a stable ' +
          '`code`; lists take `pageNumber`/`pageSize` and answer with an `X-Pagination` header.',
      )
      .setVersion('1')
      // Routes list the schemes they accept (see @Roles); public routes list none.
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'POST /v1/auth/login → access_token',
        },
        BEARER_SCHEME,
      )
      .addApiKey(
        {
          type: 'apiKey',
          in: 'header',
          name: API_KEY_HEADER,
          description: 'A staff API key (POST /v1/api-keys)',
        },
        API_KEY_SCHEME,
      )
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', raw: ['json'] });
}
