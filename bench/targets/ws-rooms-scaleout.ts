/**
 * ws-rooms-scaleout: one node of the `scaleout` scenario (the `ws-rooms-x<K>` targets: K of these
 * processes sharing one redis-server through `RedisRoomStore`, BENCH_REDIS_URL).
 *
 * Rooms come from the upgrade URL, so a scenario can lay many rooms out over many connections:
 * `?rooms=<first>,<step>,<end>` joins `r<first>`, `r<first + step>`, ... below `r<end>` (none when
 * first >= end). Once every join resolved (the room's channel is subscribed in Redis), the server
 * sends the connection one `chat` whose timestamp is 0: the generator's proof of the joins.
 *
 * `rmsg` carries its room inside the body, after the timestamp: `<16-digit ts>,r<n>,<filler>`;
 * the server sends the same body as `chat` to that room (the sender is in no room). With
 * BENCH_RECOVERY=1 missed-message recovery is on (the Redis log).
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

const NAME = 'ws-rooms-scaleout';
const REDIS_URL = process.env.BENCH_REDIS_URL;
const RECOVERY = process.env.BENCH_RECOVERY === '1';
/** Most rooms one connection joins (the probe of 10,000 rooms joins them all). */
const MAX_ROOMS = 20_000;
/** What the joins' proof carries: a zero timestamp, which the generators do not count. */
const JOINED = '0'.repeat(16) + ',joined';
/** A room name in an `rmsg` body is at most this long (`r` and digits). */
const MAX_ROOM_CHARS = 12;

/** The rooms a `?rooms=<first>,<step>,<end>` query asks for, at most MAX_ROOMS of them. */
function roomsOf(url: string | undefined): string[] {
  const query = url?.split('?')[1] ?? '';
  const spec = new URLSearchParams(query).get('rooms');
  if (spec === null) return [];
  const [first, step, end] = spec.split(',').map(Number);
  if (![first, step, end].every(Number.isSafeInteger) || step < 1 || first < 0) {
    throw new Error(`bad rooms spec ${spec}`);
  }
  const rooms: string[] = [];
  for (let r = first; r < end && rooms.length < MAX_ROOMS; r += step) rooms.push(`r${r}`);
  return rooms;
}

@WsRoomsGateway()
class ScaleoutGateway implements OnWsConnection {
  async onWsConnection(connection: WsConnection): Promise<void> {
    try {
      const rooms = roomsOf(connection.upgradeRequest?.url);
      await Promise.all(rooms.map((room) => connection.join(room)));
      connection.emit('chat', JOINED);
    } catch {
      // A join that failed must fail the case: the generator counts a close as a failure.
      connection.disconnect(1011, 'join failed');
    }
  }

  @OnEvent('rmsg')
  roomMessage(@ConnectedSocket() connection: WsConnection, @MessageBody() body: string): void {
    const from = body.indexOf(',') + 1;
    const to = body.indexOf(',', from);
    if (from === 0 || to === -1 || to - from > MAX_ROOM_CHARS) return;
    void connection.to(body.slice(from, to)).emit('chat', body);
  }
}

@Module({
  imports: [
    WsRoomsModule.forRoot({
      endpoint: '/ws',
      maxMessageSize: 1 << 20,
      // All the load comes from 127.0.0.1 and faster than people chat: the per-address limits and
      // the flood limit are off, as in ws-rooms.ts; a probe is in every room of a case.
      maxConnectionsPerAddress: 0,
      maxConnectionRatePerAddress: 0,
      maxMessageRate: 0,
      maxRoomsPerConnection: MAX_ROOMS,
      store: REDIS_URL ? new RedisRoomStore({ url: REDIS_URL }) : undefined,
      recovery: RECOVERY ? { windowMs: 120_000, maxMessages: 1000 } : false,
    }),
  ],
  providers: [ScaleoutGateway],
})
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: false });
  await listenForBench(app, NAME);
}

main().catch(failStartup(NAME));
