/**
 * The number of presence members read from Redis is bounded: a room hash with more records than
 * `maxPresenceMembers` (10,000 by default) is listed by its earliest joins and flagged `partial`,
 * whoever wrote the records (a faulty node, or a cluster that grew).
 */
import Redis from 'ioredis';
import {
  DEFAULT_MAX_PRESENCE_MEMBERS,
  type LocalNode,
  MemoryPresenceStore,
  type PresenceStore,
  RedisRoomStore,
} from 'ws-rooms';
import { RoomIndex } from 'ws-rooms/internal';
import { CapturingLogger } from './support/capturing-logger';
import { type RedisServer, startRedisServer } from './support/redis-server';

/** A node without a server and without connections. */
function emptyNode(): LocalNode {
  return {
    index: new RoomIndex(),
    connectionIds: () => [][Symbol.iterator](),
    hasConnection: () => false,
    isConnectionId: () => false,
    deliverLocally: () => undefined,
    runLocally: () => false,
    requestLocally: async () => ({
      replies: new Map<string, unknown>(),
      errors: new Map<string, { code: string; message: string }>(),
      missing: [],
      partial: false,
    }),
  };
}

const DEFAULT_MAX = DEFAULT_MAX_PRESENCE_MEMBERS;

describe('presence members read from Redis are bounded in number', () => {
  let redis: RedisServer;
  let admin: Redis;
  const stores: RedisRoomStore[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    admin = new Redis(redis.url);
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  afterAll(async () => {
    admin?.disconnect();
    await redis?.kill();
  });

  async function presenceStore(keyPrefix: string): Promise<{
    store: RedisRoomStore;
    presence: PresenceStore;
  }> {
    const store = new RedisRoomStore({ url: redis.url, keyPrefix, logger: new CapturingLogger() });
    stores.push(store);
    const presence = store.createPresenceStore();
    presence.attach({ removed: () => undefined, lost: () => undefined, localMembers: () => [] });
    await store.start(emptyNode());
    return { store, presence };
  }

  /** Writes `count` records by hand, as many nodes (or a faulty one) would; join versions 1..count. */
  async function writeRecords(
    key: string,
    nodeId: string,
    count: number,
    firstVersion = 1,
  ): Promise<void> {
    const fields: Record<string, string> = {};
    // Written in reverse: the hash's own order must not decide which members are listed.
    for (let n = count - 1; n >= 0; n--) {
      const version = firstVersion + n;
      fields[`member-${version}`] =
        `${version}:${JSON.stringify({ n: nodeId, m: { n: version } })}`;
    }
    await admin.hset(key, fields);
  }

  it('a snapshot of a room with more records than 10,000 lists the 10,000 earliest joins, partial', async () => {
    expect(DEFAULT_MAX_PRESENCE_MEMBERS).toBe(10_000);
    const { store, presence } = await presenceStore('bounded');
    await writeRecords('bounded:presence:big', store.nodeId, DEFAULT_MAX + 2500);
    await admin.set('bounded:presence-version:big', String(DEFAULT_MAX + 2500));

    const snapshot = await presence.snapshot('big');
    expect(snapshot.partial).toBe(true);
    expect(snapshot.members).toHaveLength(DEFAULT_MAX);
    expect(snapshot.members[0].id).toBe('member-1');
    expect(snapshot.members[DEFAULT_MAX - 1].id).toBe(`member-${DEFAULT_MAX}`);
    expect(snapshot.version).toBe(DEFAULT_MAX + 2500);
  });

  it('a join into such a room: the joiner gets the bounded list, partial', async () => {
    const { store, presence } = await presenceStore('joining');
    await writeRecords('joining:presence:big', store.nodeId, DEFAULT_MAX + 10);
    await admin.set('joining:presence-version:big', String(DEFAULT_MAX + 10));

    const snapshot = await presence.add('big', { id: 'newcomer', meta: {} });
    expect(snapshot.partial).toBe(true);
    expect(snapshot.members).toHaveLength(DEFAULT_MAX);
    // The newest join is the last in join order: beyond the bound.
    expect(snapshot.members.some((member) => member.id === 'newcomer')).toBe(false);
  });

  it('a room at exactly the bound is listed whole and not partial', async () => {
    const { store, presence } = await presenceStore('exact');
    await writeRecords('exact:presence:room', store.nodeId, DEFAULT_MAX);
    await admin.set('exact:presence-version:room', String(DEFAULT_MAX));
    const snapshot = await presence.snapshot('room');
    expect(snapshot.partial).toBe(false);
    expect(snapshot.members).toHaveLength(DEFAULT_MAX);
  });

  it('the memory store lists the same way: earliest joins, partial past its bound', () => {
    const presence = new MemoryPresenceStore(3);
    for (const id of ['a', 'b', 'c']) presence.add('room', { id, meta: {} });
    expect(presence.snapshot('room')).toMatchObject({ partial: false, version: 3 });
    const joined = presence.add('room', { id: 'd', meta: {} });
    expect(joined.partial).toBe(true);
    expect(joined.members.map((member) => member.id)).toEqual(['a', 'b', 'c']);
    presence.remove('room', 'a');
    const after = presence.snapshot('room');
    expect(after.partial).toBe(false);
    expect(after.members.map((member) => member.id)).toEqual(['b', 'c', 'd']);
  });
});
