import { RedisRoomStore } from 'ws-rooms';
import { keySlot } from '../../libs/ws-rooms/src/store/redis/cluster-slot';
import { RedisKeys } from '../../libs/ws-rooms/src/store/redis/redis-keys';
import { eventually, ProtocolClient } from '../support/protocol-client';
import { eventuallyAsync, TestCluster } from '../shared/room-semantics.suite';
import { type ChildNode, startChildNode } from './support/child-node';
import { type RedisClusterServer, startRedisCluster } from './support/redis-cluster-server';
import { expectNoEscapedErrors } from './support/no-escaped-errors';

/** Errors that escaped to the process while these tests ran: there must be none. */
expectNoEscapedErrors();

describe('Redis Cluster: a shard master killed, then restarted', () => {
  const keys = new RedisKeys('shard-outage', true);
  let redis: RedisClusterServer;
  let cluster: TestCluster;

  beforeAll(async () => {
    redis = await startRedisCluster();
    cluster = await TestCluster.start(
      2,
      (index) =>
        new RedisRoomStore({
          cluster: { nodes: redis.nodes },
          keyPrefix: 'shard-outage',
          nodeId: `outage-${index}`,
          requestTimeout: 1000,
          redisOptions: { retryStrategy: () => 100 },
        }),
    );
  }, 60_000);

  afterAll(async () => {
    await cluster?.close();
    await redis?.stop();
  });

  it("keeps local delivery while the room's master is down, and cross-node delivery resumes once it is back", async () => {
    const [a, b, a2] = await cluster.connectMany(3);
    expect([a.node, b.node, a2.node]).toEqual([0, 1, 0]);
    for (const who of [a, b, a2]) await cluster.join(who, 'r');
    const port = await redis.masterOf(keySlot(keys.room('r')));
    const index = redis.masters.findIndex((master) => master.port === port);
    cluster.say(a, { to: ['r'], text: 'before' });
    await eventually(() => cluster.saidTo(b).includes('before'), 5000, 'before, across nodes');

    await redis.kill(index);
    cluster.say(a, { to: ['r'], text: 'while down' });
    // The members on the sender's node get it whatever Redis does.
    await eventually(() => cluster.saidTo(a2).includes('while down'), 5000, 'local delivery');
    expect(cluster.saidTo(a)).toContain('while down');

    await redis.restart(index);
    // The master keeps its slots; ioredis reconnects and subscribes again: delivery resumes.
    let sent = 0;
    await eventuallyAsync(
      () => {
        if (cluster.saidTo(b).some((text) => text.startsWith('after '))) return true;
        cluster.say(a, { to: ['r'], text: `after ${sent++}` });
        return false;
      },
      20_000,
      'cross-node delivery after the restart',
    );
    // From then on, in order and complete.
    for (let i = 0; i < 5; i++) cluster.say(a, { to: ['r'], text: `settled ${i}` });
    await eventually(
      () => cluster.saidTo(b).filter((text) => text.startsWith('settled ')).length === 5,
      5000,
      'every settled broadcast',
    );
    expect(cluster.saidTo(b).filter((text) => text.startsWith('settled '))).toEqual(
      Array.from({ length: 5 }, (_, i) => `settled ${i}`),
    );
    // And the queries work again across the nodes.
    await eventuallyAsync(
      async () => !(await cluster.nodes[0].rooms.membersDetailed('r')).partial,
      10_000,
      'complete answers',
    );
    expect((await cluster.nodes[0].rooms.members('r')).sort()).toEqual([a.id, b.id, a2.id].sort());
  }, 60_000);
});

describe('Redis Cluster: a master that stops answering for a while', () => {
  const requestTimeout = 300;
  let redis: RedisClusterServer;
  let cluster: TestCluster;

  beforeAll(async () => {
    redis = await startRedisCluster();
    cluster = await TestCluster.start(
      2,
      (index) =>
        new RedisRoomStore({
          cluster: { nodes: redis.nodes },
          keyPrefix: 'frozen-master',
          nodeId: `frozen-${index}`,
          requestTimeout,
        }),
    );
  }, 60_000);

  afterAll(async () => {
    await cluster?.close();
    await redis?.stop();
  });

  it('delivers a node-wide broadcast without the missing fence after requestTimeout, and counts it', async () => {
    const [a, b] = await cluster.connectMany(2);
    const stores = cluster.nodes.map((node) => node.store as RedisRoomStore);
    // Two broadcasts: their bodies go to two different masters, so at least one is on a running
    // master; its fence on the frozen one never comes in time.
    redis.freeze(0);
    const frozenAt = Date.now();
    try {
      cluster.say(a, { to: 'all', text: 'one' });
      cluster.say(a, { to: 'all', text: 'two' });
      await eventually(
        () => cluster.saidTo(b).length >= 1,
        1500,
        'a broadcast whose body is on a running master, delivered without its fence',
      );
      expect(Date.now() - frozenAt).toBeGreaterThanOrEqual(requestTimeout - 50);
      expect(stores[b.node].stats.fenceTimeouts).toBeGreaterThanOrEqual(1);
    } finally {
      redis.thaw(0);
    }
    // The one whose body was on the frozen master arrives late, out of order, but once.
    await eventually(() => cluster.saidTo(b).length === 2, 5000, 'both, once the master is back');
    expect([...cluster.saidTo(b)].sort()).toEqual(['one', 'two']);
  });
});

describe('Redis Cluster: a ws-rooms node killed', () => {
  const heartbeatInterval = 100;
  const heartbeatTtl = 1500;
  const requestTimeout = 1000;
  let redis: RedisClusterServer;
  let cluster: TestCluster;
  let child: ChildNode;
  const clients: ProtocolClient[] = [];

  beforeAll(async () => {
    redis = await startRedisCluster();
    const options = {
      cluster: { nodes: redis.nodes },
      keyPrefix: 'node-death',
      heartbeatInterval,
      heartbeatTtl,
      requestTimeout,
    };
    child = await startChildNode({ ...options, nodeId: 'child' });
    cluster = await TestCluster.start(
      2,
      (index) => new RedisRoomStore({ ...options, nodeId: `parent-${index}` }),
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    await cluster?.close();
    await child?.kill();
    await redis?.stop();
  });

  it('is gone from queries within the heartbeat TTL; commands for its connections resolve false', async () => {
    const client = await ProtocolClient.connect(child.wsUrl());
    clients.push(client);
    const victim = (await client.nextEvent('welcome')).payload!;
    client.emit('join', 'r');
    await client.nextEvent('join');
    const [a] = await cluster.connectMany(1);
    await cluster.join(a, 'r');
    const asker = cluster.nodes[0];
    expect((await asker.rooms.members('r')).sort()).toEqual([a.id, victim].sort());
    expect(await (asker.store as RedisRoomStore).liveNodes()).toContain('child');

    await child.kill();
    const killedAt = Date.now();
    await eventuallyAsync(
      async () => {
        const members = await asker.rooms.membersDetailed('r');
        return !members.partial && members.value.length === 1;
      },
      heartbeatTtl + 5 * requestTimeout + 2000,
      'a complete answer without the dead node',
    );
    const took = Date.now() - killedAt;
    expect(took).toBeLessThanOrEqual(heartbeatTtl + heartbeatInterval + 2 * requestTimeout + 500);
    expect(await asker.rooms.members('r')).toEqual([a.id]);
    expect(await (asker.store as RedisRoomStore).liveNodes()).not.toContain('child');
    // Nobody listens on the dead node's connection channels: false without waiting.
    const started = Date.now();
    expect(await cluster.nodes[1].connections.disconnect(victim)).toBe(false);
    expect(Date.now() - started).toBeLessThan(requestTimeout / 2);
  });
});
