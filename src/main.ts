import 'reflect-metadata';

import { Logger } from 'nestjs-pino';

import { createApp } from './app.setup';
import { ConfigValidationError, loadConfigFromProcess } from './config/load-config';

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadConfigFromProcess();
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      // The logger is not configured yet: this is the one message that goes straight to stderr.
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp(config);
  const { port, host, shutdownTimeoutMs } = config.http;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    // Nest drains in-flight requests on these signals; this only bounds how long that may take.
    process.once(signal, () => setTimeout(() => process.exit(1), shutdownTimeoutMs).unref());
  }
  await app.listen(port, host);
  const address = app.getHttpServer().address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  app.get(Logger).log(`Tenantry listening on http://${host}:${boundPort}`, 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `Tenantry failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
