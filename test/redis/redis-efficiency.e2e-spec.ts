import Redis from 'ioredis';
import { RedisRoomStore } from 'ws-rooms';
import { type ClusterClient, eventuallyAsync, TestCluster } from '../shared/room-semantics.suite';
import { type RedisServer, startRedisServer } from './support/redis-server';

/**
 * What the Redis store costs: one subscriber connection per node, channels per room so that busy
 * rooms only wake the nodes with members, one publish per broadcast, echoes dropped.
 */
describe('Redis store: efficiency, 3 nodes', () => {
  const prefix = 'eff';
  let redis: RedisServer;
  let admin: Redis;
  let cluster: TestCluster;
  let stores: RedisRoomStore[];

  beforeAll(async () => {
    redis = await startRedisServer();
    admin = new Redis(redis.url);
    cluster = await TestCluster.start(
      3,
      (index) => new RedisRoomStore({ url: redis.url, prefix, nodeId: `eff-${index}` }),
    );
    stores = cluster.nodes.map((node) => node.store as RedisRoomStore);
  });

  afterEach(async () => {
    await cluster.closeClients();
  });

  afterAll(async () => {
    await cluster?.close();
    admin?.disconnect();
    await redis?.kill();
  });

  const numsub = async (room: string): Promise<number> => {
    const reply = (await admin.pubsub('NUMSUB', `${prefix}:room:${room}`)) as [string, number];
    return Number(reply[1]);
  };

  /** A broadcast to everyone from `from`, awaited on `at`: every node's earlier traffic is in. */
  const barrier = async (from: ClusterClient, at: ClusterClient[]) => cluster.marker(from, at);

  it('holds one subscriber connection per node, whatever the number of websocket connections', async () => {
    const clients = await cluster.connectMany(12);
    await Promise.all(clients.map((who) => cluster.join(who, `own-${who.id.slice(0, 8)}`)));
    const list = (await admin.client('LIST')) as string;
    const subscribers = list.split('\n').filter((line) => / flags=\S*P/.test(line));
    expect(subscribers).toHaveLength(3);
    for (const index of [0, 1, 2]) {
      expect(
        subscribers.filter((line) => line.includes(` name=${prefix}:eff-${index}:sub `)),
      ).toHaveLength(1);
    }
  });

  it('subscribes a node to a room channel with its first local member and releases it with the last', async () => {
    const [a, b, , a2] = await cluster.connectMany(4);
    expect(a.node).toBe(0);
    expect(a2.node).toBe(0);
    expect(await numsub('busy')).toBe(0);
    await cluster.join(a, 'busy');
    await cluster.join(b, 'busy');
    // join() answers once Redis confirmed the subscription: no polling needed here.
    expect(await numsub('busy')).toBe(2);
    await cluster.join(a2, 'busy');
    expect(await numsub('busy')).toBe(2);
    // Node 2: all, req, its reply channel and its one connection's channel; not the room.
    expect(stores[2].stats.subscriptions).toBe(4);
    await cluster.leave(a, 'busy');
    expect(await numsub('busy')).toBe(2);
    await cluster.leave(a2, 'busy');
    await eventuallyAsync(
      async () => (await numsub('busy')) === 1,
      2000,
      'node 0 unsubscribed from busy',
    );
    await b.client.close();
    await eventuallyAsync(
      async () => (await numsub('busy')) === 0,
      2000,
      'node 1 unsubscribed from busy',
    );
  });

  it('a busy room wakes only nodes with members: one publish per broadcast, the echo ignored', async () => {
    const [a, b, c] = await cluster.connectMany(3);
    await cluster.join(a, 'busy');
    await cluster.join(b, 'busy');
    const before = stores.map((store) => ({ ...store.stats }));
    const count = 50;
    for (let i = 0; i < count; i++) cluster.say(a, { to: ['busy'], text: `m${i}` });
    await barrier(a, [a, b, c]);
    const delta = stores.map((store, i) => ({
      published: store.stats.published - before[i].published,
      received: store.stats.received - before[i].received,
      delivered: store.stats.delivered - before[i].delivered,
      echoesIgnored: store.stats.echoesIgnored - before[i].echoesIgnored,
    }));
    // + 1 for the barrier's broadcast to everyone.
    expect(delta[0]).toEqual({
      published: count + 1,
      received: count + 1,
      delivered: 0,
      echoesIgnored: count + 1,
    });
    expect(delta[1]).toEqual({
      published: 0,
      received: count + 1,
      delivered: count + 1,
      echoesIgnored: 0,
    });
    // Node 2 has no member in the room: it only ever saw the barrier.
    expect(delta[2]).toEqual({ published: 0, received: 1, delivered: 1, echoesIgnored: 0 });
    expect(cluster.saidTo(b)).toHaveLength(count + 1);
    expect(cluster.saidTo(c)).toHaveLength(1);
  });

  it('to(id) wakes only the node of that connection', async () => {
    const [a, b, c] = await cluster.connectMany(3);
    const before = stores.map((store) => store.stats.received);
    cluster.say(a, { to: [c.id], text: 'just you' });
    expect((await c.client.nextEvent('said')).payload).toBe('just you');
    await barrier(a, [a, b, c]);
    expect(stores.map((store, i) => store.stats.received - before[i])).toEqual([1, 1, 2]);
  });

  it('a broadcast to several rooms is published once, on the node-wide channel', async () => {
    const [a, b, c] = await cluster.connectMany(3);
    await cluster.join(b, 'x');
    await cluster.join(c, 'y');
    const published = stores[0].stats.published;
    const received = stores.map((store) => store.stats.received);
    cluster.say(a, { to: ['x', 'y'], text: 'xy' });
    expect((await b.client.nextEvent('said')).payload).toBe('xy');
    expect((await c.client.nextEvent('said')).payload).toBe('xy');
    expect(stores[0].stats.published - published).toBe(1);
    expect(stores.map((store, i) => store.stats.received - received[i])).toEqual([1, 1, 1]);
  });
});
