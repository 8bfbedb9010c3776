import { RedisRoomStore } from 'ws-rooms';
import { keySlot } from '../../libs/ws-rooms/src/store/redis/cluster-slot';
import { RedisKeys } from '../../libs/ws-rooms/src/store/redis/redis-keys';
import type { ShardedClient } from '../../libs/ws-rooms/src/store/redis/sharded-client';
import { eventually } from '../support/protocol-client';
import { type ClusterClient, TestCluster } from '../shared/room-semantics.suite';
import { type RedisClusterServer, startRedisCluster } from './support/redis-cluster-server';

/*
 * What a Redis Cluster buys: a room's broadcast is one SPUBLISH on the shard of its channel, the
 * other masters see none, and a node without members in the room receives nothing. And what the
 * store adds to sharded pub/sub: one origin's broadcasts keep their order across shards.
 */
const PREFIX = 'routing';
const keys = new RedisKeys(PREFIX, true);
let redis: RedisClusterServer;
let cluster: TestCluster;
let stores: RedisRoomStore[];

beforeAll(async () => {
  redis = await startRedisCluster();
  cluster = await TestCluster.start(
    3,
    (index) =>
      new RedisRoomStore({
        cluster: { nodes: redis.nodes },
        nodeId: `routing-${index}`,
        keyPrefix: PREFIX,
        requestTimeout: 3000,
      }),
  );
  stores = cluster.nodes.map((node) => node.store as RedisRoomStore);
}, 60_000);

afterEach(() => cluster.closeClients());

afterAll(async () => {
  await cluster?.close();
  await redis?.stop();
});

/** SPUBLISH calls each master has served since its counters were reset, by port. */
async function spublishCalls(): Promise<Map<number, number>> {
  const calls = new Map<number, number>();
  for (const { port } of redis.masters) {
    const info = await redis.cli(port, 'INFO', 'commandstats');
    calls.set(port, Number(/cmdstat_spublish:calls=(\d+)/.exec(info)?.[1] ?? 0));
  }
  return calls;
}

/** The index of the master that serves a channel. */
async function masterIndexOf(channel: string): Promise<number> {
  const port = await redis.masterOf(keySlot(channel));
  return redis.masters.findIndex((master) => master.port === port);
}

function shardedClientOf(store: RedisRoomStore): ShardedClient {
  return (store as unknown as { connections: { pub: ShardedClient } }).connections.pub;
}

it("a room's broadcast is one SPUBLISH on its shard; other masters and nodes without members see nothing", async () => {
  const [a, b, outsider] = await cluster.connectMany(3);
  expect([a.node, b.node, outsider.node]).toEqual([0, 1, 2]);
  await cluster.join(a, 'routed');
  await cluster.join(b, 'routed');
  const channel = keys.room('routed');
  const home = redis.masters[await masterIndexOf(channel)].port;
  // Exactly the two nodes with members listen, on that shard only.
  const numsub = await redis.cli(home, 'PUBSUB', 'SHARDNUMSUB', channel);
  expect(numsub.trim().split('\n')).toEqual([channel, '2']);
  for (const { port } of redis.masters) await redis.cli(port, 'CONFIG', 'RESETSTAT');
  const receivedByOutsider = stores[2].stats.received;
  const count = 20;
  for (let i = 0; i < count; i++) cluster.say(a, { to: ['routed'], text: `m${i}` });
  await eventually(() => cluster.saidTo(b).length === count, 5000, 'every broadcast at b');
  expect(cluster.saidTo(b)).toEqual(Array.from({ length: count }, (_, i) => `m${i}`));
  const calls = await spublishCalls();
  for (const [port, served] of calls) expect(served).toBe(port === home ? count : 0);
  expect(stores[2].stats.received).toBe(receivedByOutsider);
  expect(cluster.saidTo(outsider)).toEqual([]);
});

it("keeps one origin's order across shards: a broadcast to everyone waits for the room message sent before it", async () => {
  const [sender, member, other] = await cluster.connectMany(3);
  await cluster.join(member, 'slow');
  const slow = await masterIndexOf(keys.room('slow'));
  const client = shardedClientOf(stores[member.node]);
  expect(client.holding).toBe(0);
  // The room's shard answers late: what the sender publishes there waits in its socket.
  redis.freeze(slow);
  try {
    cluster.say(sender, { to: ['slow'], text: 'to the room first' });
    // Two node-wide broadcasts: their bodies go to different shards, one of them a running one.
    cluster.say(sender, { to: 'all', text: 'to all, second' });
    cluster.say(sender, { to: 'all', text: 'to all, third' });
    // The member's node got the copies of the running shards and holds them for the frozen one.
    await eventually(() => client.holding === 1, 5000, 'the broadcasts held at the member node');
  } finally {
    redis.thaw(slow);
  }
  const expected = ['to the room first', 'to all, second', 'to all, third'];
  await eventually(() => cluster.saidTo(member).length === 3, 5000, 'all three at the member');
  expect(cluster.saidTo(member)).toEqual(expected);
  await eventually(() => cluster.saidTo(other).length === 2, 5000, 'both broadcasts elsewhere');
  expect(cluster.saidTo(other)).toEqual(expected.slice(1));
  expect(client.holding).toBe(0);
  expect(stores[member.node].stats.fenceTimeouts).toBe(0);
});

it('a node-wide broadcast reaches every node once, its body on one shard and a fence on the others', async () => {
  const everyone: ClusterClient[] = await cluster.connectMany(3);
  for (const { port } of redis.masters) await redis.cli(port, 'CONFIG', 'RESETSTAT');
  cluster.say(everyone[0], { to: 'all', text: 'everyone' });
  for (const who of everyone) {
    await eventually(() => cluster.saidTo(who).length === 1, 5000, 'the broadcast');
    expect(cluster.saidTo(who)).toEqual(['everyone']);
  }
  const calls = await spublishCalls();
  expect([...calls.values()]).toEqual([1, 1, 1]);
});
