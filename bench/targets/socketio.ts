/**
 * socketio: NestJS 11 with `@nestjs/platform-socket.io`'s `IoAdapter` and socket.io rooms:
 * every connection joins `room1`, a chat is broadcast with `server.to('room1').emit(...)`
 * (socket.io encodes the packet once for the room). The event argument is the same Iris text as
 * for the other targets; socket.io adds its own packet framing around it.
 *
 * With BENCH_RECOVERY=1 it is the `socketio-recovery` target: socket.io's connection state
 * recovery on (two minutes, its in-memory session-aware adapter), the peer of `ws-rooms-recovery`.
 *
 * `all` (the c100k scenario's trigger) is sent to every socket with `server.emit(...)`.
 * BENCH_PING_PERIOD_MS sets engine.io's `pingInterval` (its default, 25 s, otherwise).
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IoAdapter } from '@nestjs/platform-socket.io';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import { failStartup, listenForBench } from './nest-app';

const RECOVERY = process.env.BENCH_RECOVERY === '1';
const PING_PERIOD_MS = Number(process.env.BENCH_PING_PERIOD_MS) || 25_000;

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
  app.useWebSocketAdapter(new IoAdapter(app));
  await listenForBench(app, RECOVERY ? 'socketio-recovery' : 'socketio');
}

main().catch(failStartup(RECOVERY ? 'socketio-recovery' : 'socketio'));
