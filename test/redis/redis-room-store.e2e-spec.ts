import { execFileSync } from 'node:child_process';
import Redis from 'ioredis';
import {
  type LocalNode,
  type OutboundBroadcast,
  RedisRoomStore,
  RedisRoomStoreErrorCode,
  type RemoteCommand,
} from 'ws-rooms';
import { RoomIndex } from 'ws-rooms/internal';
import { encodeBroadcast, encodeCommand } from '../../libs/ws-rooms/src/store/redis/redis-wire';
import { eventually } from '../support/protocol-client';
import { CapturingLogger } from './support/capturing-logger';
import { type RedisServer, startRedisServer } from './support/redis-server';

/** A node without a server: an index, a set of connection ids, and what it was asked to do. */
class FakeNode implements LocalNode {
  readonly index = new RoomIndex();
  readonly ids = new Set<string>();
  readonly delivered: OutboundBroadcast[] = [];
  readonly ran: RemoteCommand[] = [];
  /**
   * Which names are ids; by default this node's own connections. A test may replace it to make a
   * node take a name for an id or for a room, the way a server's id shape decides.
   */
  idNames: (name: string) => boolean = (name) => this.ids.has(name);
  connectionIds = () => this.ids.values();
  hasConnection = (id: string) => this.ids.has(id);
  isConnectionId = (name: string) => this.idNames(name);
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

  it('drops and counts what breaks the wire limits, received or about to be sent', async () => {
    const logger = new CapturingLogger();
    const options = { url: redis.url, keyPrefix: 'limits', maxMessageBytes: 4096, logger };
    const node = new FakeNode();
    node.ids.add('here');
    const other = new FakeNode();
    const store = track(new RedisRoomStore({ ...options, nodeId: 'limits-a' }));
    const sender = track(new RedisRoomStore({ ...options, nodeId: 'limits-b', logger: quiet }));
    await store.start(node);
    await sender.start(other);
    const broadcast = (size: number, rooms: string[] | null = null): OutboundBroadcast => ({
      message: Buffer.alloc(size, 0x61),
      binary: false,
      rooms,
      except: [],
      volatile: false,
    });
    // Received: too large (published by hand, as another program or a misconfigured node would),
    // a close code no application may send, and too many target rooms.
    await admin.publish('limits:all', encodeBroadcast('elsewhere', broadcast(4096)));
    await admin.publish(
      'limits:conn:here',
      encodeCommand('elsewhere', 1, {
        kind: 'disconnect',
        connectionId: 'here',
        code: 1006,
        reason: '',
      }),
    );
    const tooMany = Array.from({ length: 10_001 }, (_, i) => `r${i}`);
    await admin.publish(
      'limits:all',
      encodeBroadcast('elsewhere', { ...broadcast(1), rooms: tooMany }),
    );
    await eventually(
      () => store.stats.messagesOverLimits === 3,
      2000,
      'three messages over limits',
    );
    expect(store.stats.malformedMessages).toBe(0);
    expect(node.delivered).toEqual([]);
    expect(node.ran).toEqual([]);
    expect(logger.lines.filter((line) => line.message.includes('beyond the limits'))).toHaveLength(
      1,
    );

    // Sent: the other node would drop it, so it is not published, and counted where it was made.
    sender.publish(broadcast(4096));
    sender.publish({ ...broadcast(1), rooms: tooMany });
    expect(sender.stats.publishOverLimits).toBe(2);
    sender.publish(broadcast(10)); // the largest that fits is far above this
    await eventually(() => node.delivered.length === 1, 2000, 'the broadcast that fits');
    expect(node.delivered[0].message.length).toBe(10);
    expect(sender.stats.published).toBe(1);
  });

  it('leaves out presence records and sessions that break the limits or do not parse, and counts them', async () => {
    const store = track(
      new RedisRoomStore({ url: redis.url, keyPrefix: 'records', logger: quiet }),
    );
    const presence = store.createPresenceStore();
    const recovery = store.createRecoveryStore({ windowMs: 60_000, maxMessages: 100 });
    presence.attach({ removed: () => undefined, lost: () => undefined, localMembers: () => [] });
    await store.start(new FakeNode());
    await recovery.start?.();
    await presence.add('room', { id: 'fine', meta: { name: 'Ann' } });
    // Written by hand, as a faulty or hostile node would: metadata nested too deep, an id too
    // long, and a record that is not JSON.
    const nested = `${'['.repeat(100)}${']'.repeat(100)}`;
    const record = (meta: string) => `9:{"n":${JSON.stringify(store.nodeId)},"m":${meta}}`;
    await admin.hset('records:presence:room', 'deep', record(nested));
    await admin.hset('records:presence:room', 'x'.repeat(4097), record('{}'));
    await admin.hset('records:presence:room', 'garbled', '10:{not json');
    const snapshot = await presence.snapshot('room');
    expect(snapshot.members.map((member) => member.id)).toEqual(['fine']);
    expect(store.stats.messagesOverLimits).toBe(2);
    expect(store.stats.malformedMessages).toBe(1);

    const session = {
      id: 'x'.repeat(4097),
      token: 'tok',
      rooms: [],
      disconnectedAt: Date.now(),
      owner: 'o',
    };
    await admin.set('records:session:tok', JSON.stringify(session));
    const taken = await recovery.take('tok', recovery.head(), 'o', Date.now());
    expect(taken).toEqual({ ok: false, reason: 'unknown-session' });
    expect(store.stats.messagesOverLimits).toBe(3);
    await admin.set('records:session:tok2', JSON.stringify({ ...session, id: 'c', rooms: [1] }));
    expect(await recovery.take('tok2', recovery.head(), 'o', Date.now())).toEqual({
      ok: false,
      reason: 'unknown-session',
    });
    expect(store.stats.malformedMessages).toBe(2);
    // A valid session still comes back, with only the fields a session has.
    await admin.set('records:session:tok3', JSON.stringify({ ...session, id: 'c', extra: nested }));
    expect(await recovery.take('tok3', recovery.head(), 'o', Date.now())).toEqual({
      ok: true,
      session: { ...session, id: 'c' },
    });
  });

  it('stamps what other machines read with the wall clock, not the monotonic one', async () => {
    // A monotonic clock that started with the process: its readings mean nothing elsewhere.
    const scheduler = { now: () => 5, wallNow: () => Date.now(), every: () => ({ cancel() {} }) };
    const store = track(
      new RedisRoomStore({
        url: redis.url,
        keyPrefix: 'clock',
        nodeId: 'clock-1',
        logger: quiet,
        scheduler,
      }),
    );
    const recovery = store.createRecoveryStore({ windowMs: 60_000, maxMessages: 10 });
    const node = new FakeNode();
    const before = Date.now();
    await store.start(node);
    await recovery.start?.();
    const logged: OutboundBroadcast = {
      message: Buffer.from('logged'),
      binary: false,
      rooms: null,
      except: [],
      volatile: false,
    };
    expect(store.sequence(logged)).toBe(true);
    await eventually(() => node.delivered.length === 1, 2000, 'the logged broadcast back');
    const entries = await admin.xrange('clock:log', '-', '+');
    expect(entries).toHaveLength(1);
    const fields = entries[0][1];
    const at = Number(fields[fields.indexOf('t') + 1]);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
    const heartbeat = JSON.parse((await admin.get('clock:node:clock-1'))!) as { startedAt: number };
    expect(heartbeat.startedAt).toBeGreaterThanOrEqual(before);
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

describe('RedisRoomStore: connection ids and rooms are apart (issue 15)', () => {
  let redis: RedisServer;
  const stores: RedisRoomStore[] = [];
  const quiet = new CapturingLogger();
  const said = (node: FakeNode) => node.delivered.map((broadcast) => broadcast.message.toString());
  const say = (text: string, rooms: readonly string[] | null): OutboundBroadcast => ({
    message: Buffer.from(text),
    binary: false,
    rooms,
    except: [],
    volatile: false,
  });

  beforeAll(async () => {
    redis = await startRedisServer();
  });

  afterAll(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await redis?.kill();
  });

  it('a room spelled like a connection id does not receive what is sent to the id, and the id does not receive the room', async () => {
    const id = 'QxWvUtSrQpOnMlKjIhGfEdCbAzYxWvUtSrQpOnMlKjIhGfEdCbAzYxWvUtSrQpOn';
    const start = async (nodeId: string, node: FakeNode) => {
      const store = new RedisRoomStore({
        url: redis.url,
        keyPrefix: 'apart',
        nodeId,
        logger: quiet,
      });
      stores.push(store);
      await store.start(node);
      return store;
    };
    // Node A holds the connection; node B has a member of a room of the same spelling (its
    // server let the join through: to B the name is a room); node C sends, taking the name for an
    // id or for a room as the test says.
    const owner = new FakeNode();
    owner.ids.add(id);
    const roomNode = new FakeNode();
    roomNode.ids.add('member-on-b');
    const sender = new FakeNode();
    let senderSeesAnId = true;
    sender.idNames = () => senderSeesAnId;
    await start('a', owner);
    const b = await start('b', roomNode);
    const c = await start('c', sender);
    roomNode.index.add('member-on-b', id);
    await b.joined('member-on-b', id);

    // After a marker to everyone from the same sender, every earlier broadcast has arrived.
    let markers = 0;
    const marker = async () => {
      const text = `marker-${++markers}`;
      c.publish(say(text, null));
      await eventually(
        () => [owner, roomNode].every((node) => said(node).includes(text)),
        5000,
        `${text} on both nodes`,
      );
      return text;
    };

    c.publish(say('to the id', [id]));
    const first = await marker();
    expect(said(owner)).toEqual(['to the id', first]);
    expect(said(roomNode)).toEqual([first]);

    senderSeesAnId = false;
    c.publish(say('to the room', [id]));
    const second = await marker();
    expect(said(owner)).toEqual(['to the id', first, second]);
    expect(said(roomNode)).toEqual([first, 'to the room', second]);

    // Commands for the id reach its owner only: the room's node is not even asked.
    const receivedByB = b.stats.received;
    expect(await c.sendRemote({ kind: 'leave', connectionId: id, room: 'elsewhere' })).toBe(true);
    const third = await marker();
    expect(owner.ran).toEqual([{ kind: 'leave', connectionId: id, room: 'elsewhere' }]);
    expect(roomNode.ran).toEqual([]);
    expect(b.stats.received).toBe(receivedByB + 1); // the marker only
    expect(said(roomNode)).toEqual([first, 'to the room', second, third]);
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
