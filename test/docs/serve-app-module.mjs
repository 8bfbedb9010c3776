// Starts the `AppModule` of a compiled documentation snippet as a Nest app on 127.0.0.1, port 0,
// and prints `{"port":<n>}` on one line once it listens. SIGTERM closes the app gracefully.
// Usage (from the snippets' application folder): node serve-app-module.mjs <compiled module .js>
import 'reflect-metadata';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';

const require = createRequire(import.meta.url);
const { AppModule } = require(resolve(process.argv[2]));
if (AppModule === undefined) {
  console.error(`${process.argv[2]} exports no AppModule`);
  process.exit(2);
}

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
await app.listen(0, '127.0.0.1');
process.once('SIGTERM', () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
process.stdout.write(`${JSON.stringify({ port: app.getHttpServer().address().port })}\n`);
