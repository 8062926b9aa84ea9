import { VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json, raw, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';

import { API_KEY_HEADER, API_KEY_SCHEME, BEARER_SCHEME } from './auth/auth.decorators';
import { writeProblem } from './common/errors/problem-details.filter';
import { answerClientErrorsAsProblems } from './common/http/client-errors';
import { refuseUnsafeJsonBodies } from './common/http/json-shape';
import { PAGINATION_HEADER } from './common/http/pagination';
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

/** The one route that takes a large body: POST /v1/provisioning/jobs. */
const BULK_JOB_PATH = '/v1/provisioning/jobs';
/** The webhook receiver, POST /v1/webhooks/{sourceId} (not /v1/webhooks/events…). */
const WEBHOOK_RECEIVER_PATH = /^\/v1\/webhooks\/(?!events(?:\/|$))[^/]+\/?$/;

export function configureApp(app: NestExpressApplication, config: AppConfig): void {
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.use(helmet());
  const { corsOrigins, bodyLimit, bulkBodyLimit } = config.http;
  const webhookBody = raw({ type: () => true, limit: config.webhooks.bodyLimit });
  if (corsOrigins.length > 0) {
    app.enableCors({ origin: corsOrigins, exposedHeaders: [PAGINATION_HEADER, 'X-Request-Id'] });
  }
  // The body parser runs before Nest's middleware (where pino-http lives), so the request id is assigned
  // here first; pino-http keeps an id that is already set.
  app.use((request: Request, response: Response, next: NextFunction) => {
    request.id = assignRequestId(request, response);
    next();
  });
  // A bulk job carries up to 10,000 rows; only that route accepts the larger body (parsed first, the
  // general parser then skips it).
  app.use(BULK_JOB_PATH, json({ limit: bulkBodyLimit }));
  // Webhook signatures are over the exact bytes sent, so the receiver gets them unparsed (a Buffer); it parses
  // the JSON itself once the signature verified.
  app.use((request: Request, response: Response, next: NextFunction) =>
    request.method === 'POST' && WEBHOOK_RECEIVER_PATH.test(request.path)
      ? webhookBody(request, response, next)
      : next(),
  );
  app.useBodyParser('json', { limit: bodyLimit });
  // Every parsed body, before any guard, interceptor or pipe walks it: too deep or with prototype-named keys.
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
