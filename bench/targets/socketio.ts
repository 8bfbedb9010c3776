/**
 * socketio: NestJS 11 with `@nestjs/platform-socket.io`'s `IoAdapter` and socket.io rooms:
 * every connection joins `room1`, a chat is broadcast with `server.to('room1').emit(...)`
 * (socket.io encodes the packet once for the room). The event argument is the same Iris text as
 * for the other targets; socket.io adds its own packet framing around it.
 *
 * With BENCH_RECOVERY=1 it is the `socketio-recovery` target: socket.io's connection state
 * recovery on (two minutes, its in-memory session-aware adapter), the peer of `ws-rooms-recovery`.
 *
 * With BENCH_REDIS_URL set it is a node of `socketio-redis` (or `socketio-redis-recovery`): the
 * same app with `@socket.io/redis-streams-adapter` over ioredis, several processes sharing that
 * Redis (the adapter socket.io documents for connection state recovery across servers).
 *
 * `all` (the c100k scenario's trigger) is sent to every socket with `server.emit(...)`.
 * BENCH_PING_PERIOD_MS sets engine.io's `pingInterval` (its default, 25 s, otherwise).
 */
import 'reflect-metadata';
import { type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import type { Server, ServerOptions, Socket } from 'socket.io';
import { failStartup, listenForBench } from './nest-app';

const RECOVERY = process.env.BENCH_RECOVERY === '1';
const PING_PERIOD_MS = Number(process.env.BENCH_PING_PERIOD_MS) || 25_000;
const REDIS_URL = process.env.BENCH_REDIS_URL;
const NAME = `socketio${REDIS_URL ? '-redis' : ''}${RECOVERY ? '-recovery' : ''}`;

/** Nest's socket.io adapter with the Redis Streams adapter plugged into its server. */
class RedisStreamsIoAdapter extends IoAdapter {
  constructor(
    app: INestApplication,
    private readonly redis: Redis,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server = super.createIOServer(port, options) as Server;
    server.adapter(createAdapter(this.redis));
    return server;
  }
}

@WebSocketGateway({
  maxHttpBufferSize: 1 << 20,
  pingInterval: PING_PERIOD_MS,
  ...(RECOVERY ? { connectionStateRecovery: { maxDisconnectionDuration: 120_000 } } : {}),
})
class BenchGateway implements OnGatewayConnection {
  @WebSocketServer() server!: Server;

  handleConnection(client: Socket): void {
    void client.join('room1');
  }

  @SubscribeMessage('chat')
  chat(@MessageBody() message: string): void {
    this.server.to('room1').emit('chat', message);
  }

  @SubscribeMessage('all')
  all(@MessageBody() message: string): void {
    this.server.emit('all', message);
  }

  @SubscribeMessage('echo')
  echo(@ConnectedSocket() client: Socket, @MessageBody() message: string): void {
    client.emit('echo', message);
  }
}

@Module({ providers: [BenchGateway] })
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: false });
  app.useWebSocketAdapter(
    REDIS_URL ? new RedisStreamsIoAdapter(app, new Redis(REDIS_URL)) : new IoAdapter(app),
  );
  await listenForBench(app, NAME);
}

main().catch(failStartup(NAME));
