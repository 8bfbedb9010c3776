import 'reflect-metadata';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { WsRoomsModule } from '../../libs/ws-rooms/src';

// A process for test/security/shutdown.e2e-spec.ts: one endpoint with a short closeTimeout, whose
// authenticate never settles for an upgrade that asks for it (`X-Hang: 1`). It prints
// `ready <port>` once listening and `authenticating` when such an upgrade reaches authenticate.
// PLATFORM=fastify runs it on Fastify; CLOSE_TIMEOUT sets closeTimeout (ms).

const CLOSE_TIMEOUT = Number(process.env.CLOSE_TIMEOUT ?? 1000);

@Module({
  imports: [
    WsRoomsModule.forRoot({
      endpoint: '/ws',
      closeTimeout: CLOSE_TIMEOUT,
      // Far longer than any test: only the shutdown can end a hanging upgrade.
      handshakeTimeout: 600_000,
      authenticate: (request: IncomingMessage) => {
        if (request.headers['x-hang'] !== '1') return { user: 'anyone' };
        process.stdout.write('authenticating\n');
        return new Promise<never>(() => undefined);
      },
    }),
  ],
})
class ShutdownFixtureModule {}

async function main(): Promise<void> {
  const logger = ['error', 'warn'] as const;
  const app: INestApplication =
    process.env.PLATFORM === 'fastify'
      ? await NestFactory.create(ShutdownFixtureModule, new FastifyAdapter(), {
          logger: [...logger],
        })
      : await NestFactory.create(ShutdownFixtureModule, { logger: [...logger] });
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  process.stdout.write(`ready ${port}\n`);
}

void main();
