import { execFileSync } from 'node:child_process';
import Redis from 'ioredis';
import {
  type LocalNode,
  type OutboundBroadcast,
  RedisRoomStore,
  RedisRoomStoreErrorCode,
  type RemoteCommand,
  RoomIndex,
} from 'ws-rooms';
import { eventually } from '../support/protocol-client';
import { CapturingLogger } from './support/capturing-logger';
import { type RedisServer, startRedisServer } from './support/redis-server';

/** A node without a server: an index, a set of connection ids, and what it was asked to do. */
class FakeNode implements LocalNode {
  readonly index = new RoomIndex();
  readonly ids = new Set<string>();
  readonly delivered: OutboundBroadcast[] = [];
  readonly ran: RemoteCommand[] = [];
  connectionIds = () => this.ids.values();
  hasConnection = (id: string) => this.ids.has(id);
  isConnectionId = (name: string) => this.ids.has(name);
  deliverLocally = (broadcast: OutboundBroadcast) => void this.delivered.push(broadcast);
  runLocally = (command: RemoteCommand) => {
    if (!this.ids.has(command.connectionId)) return false;
    this.ran.push(command);
    return true;
  };
  requestLocally = async () => ({
    replies: new Map<string, unknown>(),
    errors: new Map<string, { code: string; message: string }>(),
    missing: [],
    partial: false,
  });
}

describe('RedisRoomStore against a real redis-server (no Nest)', () => {
  let redis: RedisServer;
  let admin: Redis;
  const stores: RedisRoomStore[] = [];
  const track = (store: RedisRoomStore) => (stores.push(store), store);
  const quiet = new CapturingLogger();

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

  it('with { client }: publishes through it, subscribes on one duplicate, and leaves it open on close', async () => {
    const client = new Redis(redis.url, { connectionName: 'the-apps-client' });
    const listeners = client.listenerCount('ready');
    const store = track(
      new RedisRoomStore({ client, prefix: 'own', nodeId: 'own-1', logger: quiet }),
    );
    await store.start(new FakeNode());
    const list = (await admin.client('LIST')) as string;
    expect(list.match(/ name=own:own-1:sub /g)).toHaveLength(1);
    expect(list.match(/ name=own:own-1:pub /g)).toBeNull();
    await store.close();
    expect(client.status).toBe('ready');
    expect(client.listenerCount('ready')).toBe(listeners);
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
  });

  it('refuses to start twice, or after close, with WS_ROOMS_REDIS_INVALID_STATE', async () => {
    const store = track(new RedisRoomStore({ url: redis.url, prefix: 'twice', logger: quiet }));
    await store.start(new FakeNode());
    await expect(store.start(new FakeNode())).rejects.toMatchObject({
      code: RedisRoomStoreErrorCode.InvalidState,
    });
    await store.close();
    await expect(store.start(new FakeNode())).rejects.toMatchObject({
      code: RedisRoomStoreErrorCode.InvalidState,
    });
  });

  it('registers a heartbeat key with a TTL and a snapshot, and deletes it on close', async () => {
    const node = new FakeNode();
    node.ids.add('c1');
    node.index.add('c1', 'lobby');
    const store = track(
      new RedisRoomStore({
        url: redis.url,
        prefix: 'hb',
        nodeId: 'hb-1',
        heartbeatInterval: 50,
        heartbeatTtl: 400,
        logger: quiet,
      }),
    );
    await store.start(node);
    const ttl = await admin.pttl('hb:node:hb-1');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(400);
    expect(JSON.parse((await admin.get('hb:node:hb-1'))!)).toMatchObject({
      nodeId: 'hb-1',
      connections: 1,
      rooms: 1,
      pid: process.pid,
    });
    expect(await admin.smembers('hb:nodes')).toEqual(['hb-1']);
    const beats = store.stats.heartbeats;
    await eventually(() => store.stats.heartbeats >= beats + 2, 2000, 'two more heartbeats');
    expect(await store.liveNodes()).toEqual(['hb-1']);
    await store.close();
    expect(await admin.exists('hb:node:hb-1')).toBe(0);
    expect(await admin.smembers('hb:nodes')).toEqual([]);
  });

  it('a node that closes gracefully leaves queries at once (no wait for its TTL)', async () => {
    const options = {
      url: redis.url,
      prefix: 'bye',
      requestTimeout: 5000,
      heartbeatTtl: 60_000,
      logger: quiet,
    };
    const asker = track(new RedisRoomStore({ ...options, nodeId: 'asker' }));
    const leaver = track(new RedisRoomStore({ ...options, nodeId: 'leaver' }));
    await asker.start(new FakeNode());
    const leaving = new FakeNode();
    leaving.ids.add('x');
    await leaver.start(leaving);
    expect(await asker.connectionCount()).toEqual({ value: 1, partial: false });
    await leaver.close();
    const started = Date.now();
    expect(await asker.connectionCount()).toEqual({ value: 0, partial: false });
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('ignores and counts messages that are not its wire format, logging them once per period', async () => {
    const logger = new CapturingLogger();
    const node = new FakeNode();
    const store = track(new RedisRoomStore({ url: redis.url, prefix: 'junk', logger }));
    await store.start(node);
    for (let i = 0; i < 3; i++) await admin.publish('junk:all', `not ours ${i}`);
    await admin.publish('junk:all', Buffer.from([0x57, 9, 1, 1, 0x6e]));
    await eventually(
      () => store.stats.malformedMessages === 4,
      2000,
      'four malformed messages counted',
    );
    expect(node.delivered).toEqual([]);
    expect(logger.count('error')).toBe(1);
    expect(logger.lines[0].message).toContain('WIRE_BAD_MAGIC');
  });

  it('runs a command for a local connection that another node sent, and answers false for strangers', async () => {
    const options = { url: redis.url, prefix: 'cmd', logger: quiet };
    const owner = new FakeNode();
    owner.ids.add('mine');
    const a = track(new RedisRoomStore({ ...options, nodeId: 'a' }));
    const b = track(new RedisRoomStore({ ...options, nodeId: 'b' }));
    await a.start(new FakeNode());
    await b.start(owner);
    expect(await a.sendRemote({ kind: 'leave', connectionId: 'mine', room: 'r' })).toBe(true);
    expect(owner.ran).toEqual([{ kind: 'leave', connectionId: 'mine', room: 'r' }]);
    expect(
      await a.sendRemote({ kind: 'disconnect', connectionId: 'nobody', code: 1000, reason: '' }),
    ).toBe(false);
    expect(a.stats.commandsSent).toBe(2);
    expect(b.stats.commandsRun).toBe(1);
  });
});

describe('ws-rooms without Redis', () => {
  it('does not load ioredis until a Redis store is built from a URL', () => {
    const script = [
      "require('reflect-metadata');",
      "const lib = require('./libs/ws-rooms/src');",
      "const loaded = () => Object.keys(require.cache).some((path) => path.includes('/node_modules/ioredis/'));",
      'const before = loaded();',
      "new lib.RedisRoomStore({ url: 'redis://127.0.0.1:1' });",
      'process.stdout.write(JSON.stringify({ before, after: loaded() }));',
    ].join('\n');
    const output = execFileSync(process.execPath, ['-r', '@swc-node/register', '-e', script], {
      cwd: `${__dirname}/../..`,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(JSON.parse(output)).toEqual({ before: false, after: true });
  });
});
