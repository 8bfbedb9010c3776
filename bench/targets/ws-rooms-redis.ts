/**
 * ws-rooms-redis: the ws-rooms target with its rooms in Redis (`RedisRoomStore`), for the
 * cross-node scenario: several processes of it share one Redis given as BENCH_REDIS_URL. Otherwise
 * the same as ws-rooms.ts, used as the README shows. Every connection joins
 * `room1` when it connects; `chat` is sent to the room (the sender included, PROTOCOL.md
 * section 5) and `echo` back to the sender. The library speaks Iris on the wire, so clients send
 * and receive `iris-websocket-message:<event>;0;<payload>`.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import {
  OnEvent,
  type OnWsConnection,
  RedisRoomStore,
  type WsConnection,
  WsRoomsGateway,
  WsRoomsModule,
} from '../../libs/ws-rooms/src';
import { failStartup, listenForBench } from './nest-app';

function redisUrl(): string {
  const url = process.env.BENCH_REDIS_URL;
  if (!url) throw new Error('ws-rooms-redis: set BENCH_REDIS_URL (bench/run.mjs does)');
  return url;
}

@WsRoomsGateway()
class BenchGateway implements OnWsConnection {
  onWsConnection(connection: WsConnection): void {
    void connection.join('room1');
  }

  @OnEvent('chat')
  chat(@ConnectedSocket() connection: WsConnection, @MessageBody() message: string): void {
    void connection.to('room1').emit('chat', message);
  }

  @OnEvent('echo')
  echo(@ConnectedSocket() connection: WsConnection, @MessageBody() message: string): void {
    void connection.emit('echo', message);
  }
}

@Module({
  imports: [
    WsRoomsModule.forRoot({
      endpoint: '/ws',
      maxMessageSize: 1 << 20,
      // All the load comes from 127.0.0.1 and one sender sends far faster than a person chats:
      // the per-address connection cap and the per-connection flood limit would cut the
      // benchmark's own clients, so they are off. Every other option keeps its default.
      maxConnectionsPerAddress: 0,
      maxMessageRate: 0,
      store: new RedisRoomStore({ url: redisUrl() }),
    }),
  ],
  providers: [BenchGateway],
})
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: false });
  await listenForBench(app, 'ws-rooms-redis');
}

main().catch(failStartup('ws-rooms-redis'));
