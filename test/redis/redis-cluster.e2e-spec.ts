import { RedisRoomStore } from 'ws-rooms';
import { describeRoomSemantics } from '../shared/room-semantics.suite';
import { type RedisServer, startRedisServer } from './support/redis-server';

// The same suite as the in-memory store, with 3 apps in this process sharing one real redis-server.
let redis: RedisServer;
const stores: RedisRoomStore[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
});

afterAll(async () => {
  await redis?.kill();
});

describeRoomSemantics('room semantics: Redis store, 3 nodes', {
  nodes: 3,
  createStore: (index) => {
    const store = new RedisRoomStore({
      url: redis.url,
      nodeId: `semantics-${index}`,
      prefix: 'semantics',
      // Generous, so that a loaded CI machine never makes a query partial.
      requestTimeout: 3000,
    });
    stores.push(store);
    return store;
  },
});

describe('the cluster of the suite', () => {
  it('ran on Redis, with nothing lost or malformed', () => {
    expect(stores).toHaveLength(3);
    for (const store of stores) {
      expect(store.stats.published).toBeGreaterThan(0);
      expect(store.stats.malformedMessages).toBe(0);
      expect(store.stats.connectionLosses).toBe(0);
    }
  });
});
