/**
 * ws-rooms: the library under test, used exactly as its README shows. Every connection joins
 * `room1` when it connects; `chat` is sent to the room (the sender included, docs/protocol.md,
 * "Connections, rooms and targets") and `echo` back to the sender. The library speaks Iris on the wire, so clients send
 * and receive `iris-websocket-message:<event>;0;<payload>`.
 *
 * With BENCH_REDIS_URL set it is the `ws-rooms-redis` target of the cross-node scenario: the same
 * app with its rooms in Redis (`RedisRoomStore`), several processes sharing that Redis.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import {
  All,
  OnEvent,
  type OnWsConnection,
  RedisRoomStore,
  type WsConnection,
  WsRoomsGateway,
  WsRoomsModule,
} from '../../libs/ws-rooms/src';
import { failStartup, listenForBench } from './nest-app';

const REDIS_URL = process.env.BENCH_REDIS_URL;
/** With BENCH_RECOVERY=1 it is the `ws-rooms-recovery` target: missed-message recovery on. */
const RECOVERY = process.env.BENCH_RECOVERY === '1';
const NAME = REDIS_URL ? 'ws-rooms-redis' : RECOVERY ? 'ws-rooms-recovery' : 'ws-rooms';

@WsRoomsGateway()
class BenchGateway implements OnWsConnection {
  onWsConnection(connection: WsConnection): void {
    void connection.join('room1');
  }

  @OnEvent('chat')
  chat(@ConnectedSocket() connection: WsConnection, @MessageBody() message: string): void {
    void connection.to('room1').emit('chat', message);
  }

  // The c100k scenario's trigger: one message, sent to every connection of the endpoint.
  @OnEvent('all')
  all(@ConnectedSocket() connection: WsConnection, @MessageBody() message: string): void {
    void connection.to(All).emit('all', message);
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
      // the per-address connection cap and rate and the per-connection flood limit would cut the
      // benchmark's own clients, so they are off. Every other option keeps its default.
      maxConnectionsPerAddress: 0,
      maxConnectionRatePerAddress: 0,
      maxMessageRate: 0,
      // The c100k scenario sets one ping period for every target; unset, the default applies.
      pingPeriod: Number(process.env.BENCH_PING_PERIOD_MS) || undefined,
      store: REDIS_URL ? new RedisRoomStore({ url: REDIS_URL }) : undefined,
      // The defaults of the option: two minutes, a thousand broadcasts.
      recovery: RECOVERY ? { windowMs: 120_000, maxMessages: 1000 } : false,
    }),
  ],
  providers: [BenchGateway],
})
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: false });
  await listenForBench(app, NAME);
}

main().catch(failStartup(NAME));
