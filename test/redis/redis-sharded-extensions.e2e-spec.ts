/**
 * Presence and room requests on a Redis Cluster, end to end with the modern client: lists and
 * changes across nodes, one version sequence per room, room requests answered by the members of
 * every node, and the members of a node that dies removed from rooms that live on every shard (the
 * two-step removal of `cluster-presence.ts`).
 */
import type { IncomingMessage } from 'node:http';
import { Module, type Type } from '@nestjs/common';
import WebSocket from 'ws';
import {
  RedisRoomStore,
  RoomsService,
  type RoomStore,
  WsRoomsGateway,
  WsRoomsModule,
} from 'ws-rooms';
import { type PresenceChange, WsRoomsClient } from 'ws-rooms/client';
import { keySlot } from '../../libs/ws-rooms/src/store/redis/cluster-slot';
import { RedisKeys } from '../../libs/ws-rooms/src/store/redis/redis-keys';
import { nextPresence } from '../support/modern-client-waits';
import { type RunningApp, startApp } from '../support/test-app';
import { RoomMembershipHandlers } from '../support/room-membership.handlers';
import { stopHeartbeat } from './support/store-internals';
import { type RedisClusterServer, startRedisCluster } from './support/redis-cluster-server';

const PREFIX = 'sharded-presence';
const keys = new RedisKeys(PREFIX, true);
const FAST_HEARTBEAT = { heartbeatInterval: 100, heartbeatTtl: 600, requestTimeout: 1000 };

@WsRoomsGateway()
class PresenceGateway extends RoomMembershipHandlers {}

function presenceModule(store: RoomStore): Type<unknown> {
  @Module({
    imports: [
      WsRoomsModule.forRoot({
        endpoint: '/ws',
        store,
        authenticate: (request: IncomingMessage) => ({
          name: new URL(request.url ?? '/', 'http://localhost').searchParams.get('name') ?? '?',
        }),
        presence: {
          rooms: (room) => room.startsWith('p-'),
          metadata: ({ principal }) => ({ name: (principal as { name: string }).name }),
        },
      }),
    ],
    providers: [PresenceGateway],
  })
  class PresenceNodeModule {}
  return PresenceNodeModule;
}

let redis: RedisClusterServer;
const nodes: RunningApp[] = [];
const stores: RedisRoomStore[] = [];
const clients: WsRoomsClient[] = [];

beforeAll(async () => {
  redis = await startRedisCluster();
  for (let i = 0; i < 3; i++) {
    const store = new RedisRoomStore({
      cluster: { nodes: redis.nodes },
      keyPrefix: PREFIX,
      nodeId: `presence-${i}`,
      ...FAST_HEARTBEAT,
    });
    stores.push(store);
    nodes.push(await startApp({ imports: [presenceModule(store)] }));
  }
}, 60_000);

afterAll(async () => {
  for (const client of clients) client.close();
  await Promise.all(nodes.map((node) => node.close()));
  await redis?.stop();
});

function on(node: number, name: string): WsRoomsClient {
  const client = new WsRoomsClient(`${nodes[node].wsUrl('/ws')}?name=${name}`, {
    WebSocket,
    reconnect: false,
  });
  clients.push(client);
  return client;
}

const namesOf = (members: readonly { meta: Readonly<Record<string, unknown>> }[]) =>
  members.map((member) => member.meta.name);

it('lists members of every node in join order, with one version sequence per room', async () => {
  const alice = on(0, 'alice');
  const aliceList = nextPresence(alice, (c) => c.type === 'members', 'alice list');
  await alice.request('join', 'p-lobby');
  const first = (await aliceList) as Extract<PresenceChange, { type: 'members' }>;
  expect(namesOf(first.members)).toEqual(['alice']);
  const bob = on(1, 'bob');
  const bobJoined = nextPresence(alice, (c) => c.type === 'joined', 'bob joined');
  const bobList = nextPresence(bob, (c) => c.type === 'members', 'bob list');
  await bob.request('join', 'p-lobby');
  const joined = (await bobJoined) as Extract<PresenceChange, { type: 'joined' }>;
  const list = (await bobList) as Extract<PresenceChange, { type: 'members' }>;
  expect(joined.member.meta).toEqual({ name: 'bob' });
  expect(namesOf(list.members)).toEqual(['alice', 'bob']);
  expect(list.version).toBe(joined.version);
  for (const node of nodes) {
    const detailed = await node.app.get(RoomsService).presenceDetailed('p-lobby');
    expect({ names: namesOf(detailed.value), partial: detailed.partial }).toEqual({
      names: ['alice', 'bob'],
      partial: false,
    });
  }
  const aliceLeft = nextPresence(bob, (c) => c.type === 'left', 'alice left');
  await alice.request('leave', 'p-lobby');
  expect(await aliceLeft).toMatchObject({ type: 'left', room: 'p-lobby' });
  expect(namesOf(await nodes[2].app.get(RoomsService).presence('p-lobby'))).toEqual(['bob']);
});

it('collects the replies of the members of every node to a room request', async () => {
  const alice = on(1, 'alice');
  alice.onRequest('vote', (question) => `alice: ${String(question)}`);
  const bob = on(2, 'bob');
  bob.onRequest('vote', (question) => `bob: ${String(question)}`);
  const eve = on(2, 'eve');
  eve.onRequest('vote', () => 'eve should not be asked');
  for (const member of [alice, bob]) await member.request('join', 'poll');
  await eve.request('join', 'elsewhere');
  const result = await nodes[0].app.get(RoomsService).to('poll').request('vote', 'lunch', {
    timeout: 1000,
  });
  expect(result.partial).toBe(false);
  expect([...result.replies.values()].sort()).toEqual(['alice: lunch', 'bob: lunch']);
  expect(result.missing).toEqual([]);
  for (const member of [alice, bob, eve]) member.close();
});

it('removes the members of a dead node from rooms on every shard, once, and tells each room', async () => {
  // One room per master, so that the removal crosses every shard.
  const rooms: string[] = [];
  const masters = new Set<number>();
  for (let i = 0; rooms.length < 3 && i < 1000; i++) {
    const room = `p-dead-${i}`;
    const port = await redis.masterOf(keySlot(keys.presence(room)));
    if (!masters.has(port)) {
      masters.add(port);
      rooms.push(room);
    }
  }
  expect(rooms).toHaveLength(3);
  const watcher = on(0, 'watcher');
  const victim = on(2, 'victim');
  for (const room of rooms) await watcher.request('join', room);
  const joins = rooms.map((room) =>
    nextPresence(watcher, (c) => c.type === 'joined' && c.room === room, `victim in ${room}`),
  );
  for (const room of rooms) await victim.request('join', room);
  await Promise.all(joins);
  const lefts = rooms.map((room) =>
    nextPresence(watcher, (c) => c.type === 'left' && c.room === room, `victim out of ${room}`),
  );
  // Node 2 dies as a crashed process would: no more heartbeats, its connection to Redis gone.
  const diedAt = Date.now();
  stopHeartbeat(stores[2]);
  const connections = (stores[2] as unknown as { connections: { pub: { disconnect(): void } } })
    .connections;
  connections.pub.disconnect();
  await Promise.all(lefts);
  expect(Date.now() - diedAt).toBeLessThan(3000);
  for (const room of rooms) {
    expect(namesOf(await nodes[1].app.get(RoomsService).presence(room))).toEqual(['watcher']);
    expect(namesOf(watcher.presence(room))).toEqual(['watcher']);
  }
  // Removed once, although two nodes noticed the death: join, join, removal = version 3.
  const presence = stores[1].createPresenceStore();
  for (const room of rooms) {
    expect(await presence.snapshot(room)).toMatchObject({ version: 3, partial: false });
  }
});
