import { RedisRoomStore } from 'ws-rooms';
import { describeRoomSemantics } from '../shared/room-semantics.suite';
import { type RedisClusterServer, startRedisCluster } from './support/redis-cluster-server';

// The shared room semantics, with 3 apps in this process over a real 3-master Redis Cluster
// (sharded pub/sub): a cluster must be indistinguishable from one node, as one Redis is.
let redis: RedisClusterServer;
const stores: RedisRoomStore[] = [];

beforeAll(async () => {
  redis = await startRedisCluster();
}, 60_000);

afterAll(async () => {
  await redis?.stop();
});

describeRoomSemantics('room semantics: Redis Cluster (sharded pub/sub), 3 nodes', {
  nodes: 3,
  createStore: (index) => {
    const store = new RedisRoomStore({
      cluster: { nodes: redis.nodes },
      nodeId: `sharded-${index}`,
      keyPrefix: 'sharded',
      requestTimeout: 3000,
    });
    stores.push(store);
    return store;
  },
});

describe('the cluster of the suite', () => {
  it('ran on the Redis Cluster, with nothing lost or malformed', () => {
    expect(stores).toHaveLength(3);
    for (const store of stores) {
      expect(store.stats.published).toBeGreaterThan(0);
      expect(store.stats.malformedMessages).toBe(0);
      expect(store.stats.connectionLosses).toBe(0);
      // Every node-wide broadcast was delivered with all its fences, in order.
      expect(store.stats.fenceTimeouts).toBe(0);
    }
  });
});
