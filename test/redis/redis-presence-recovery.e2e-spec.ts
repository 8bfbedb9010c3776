/**
 * The presence and recovery parts of the Redis store, driven at the store level against a real
 * redis-server (no Nest, no websocket): the Lua scripts (SEQUENCE_BROADCAST, READ_LOG_OFFSET,
 * TAKE_SESSION, PRESENCE_ADD/REMOVE/READ, FORGET_NODE) and the heartbeat paths around them (a dead
 * node's members removed once, a forgotten node recording its members again). A FakeNode stands in
 * for the server.
 *
 * Log offsets do not start at 1: a missing counter is created from Redis' clock (whole milliseconds
 * times 1000, about 1.76e15), so the tests read the counter a store started at (`base`) and assert
 * offsets relative to it.
 */
import Redis from 'ioredis';
import {
  type LocalNode,
  type OutboundBroadcast,
  type PresenceMember,
  type PresenceStoreEvents,
  type RecoveryStoreOptions,
  RedisRoomStore,
  type RedisRoomStoreOptions,
  type RemoteCommand,
  type SuspendedSession,
} from 'ws-rooms';
import { RoomIndex } from 'ws-rooms/internal';
import type { Scheduler } from '../../libs/ws-rooms/src/util/scheduler';
import { RedisKeys } from '../../libs/ws-rooms/src/store/redis/redis-keys';
import {
  forgetNode,
  type RedisPresenceStore,
} from '../../libs/ws-rooms/src/store/redis/redis-presence-store';
import type { RedisRecoveryStore } from '../../libs/ws-rooms/src/store/redis/redis-recovery-store';
import { SEQUENCE_BROADCAST } from '../../libs/ws-rooms/src/store/redis/redis-scripts';
import { encodeLoggedParts } from '../../libs/ws-rooms/src/store/redis/redis-wire';
import { eventuallyAsync } from '../shared/room-semantics.suite';
import { CapturingLogger } from './support/capturing-logger';
import { freePort, type RedisServer, startRedisServer } from './support/redis-server';
import { beat, connectionsOf, stopHeartbeat } from './support/store-internals';
import { startSwitchingProxy } from '../support/switching-proxy';

/** Short heartbeats: a node whose key is gone is noticed within a few hundred milliseconds. */
const FAST = {
  heartbeatInterval: 100,
  heartbeatTtl: 600,
  requestTimeout: 1000,
  connectTimeout: 2000,
} as const;

/** Bound of every wait on something that should happen within a few heartbeats. */
const WAIT_MS = 5000;

/** One delivery the store asked the node for: the broadcast and its offset (logged ones). */
interface Delivery {
  readonly broadcast: OutboundBroadcast;
  readonly offset: number | undefined;
}

/** A node without a server: an index, a set of connection ids, and what it was asked to deliver. */
class FakeNode implements LocalNode {
  readonly index = new RoomIndex();
  readonly ids = new Set<string>();
  readonly delivered: Delivery[] = [];
  connectionIds = () => this.ids.values();
  hasConnection = (id: string) => this.ids.has(id);
  isConnectionId = (name: string) => this.ids.has(name);
  deliverLocally = (broadcast: OutboundBroadcast, offset?: number) =>
    void this.delivered.push({ broadcast, offset });
  runLocally = (_command: RemoteCommand) => false;
  requestLocally = async () => ({
    replies: new Map<string, unknown>(),
    errors: new Map<string, { code: string; message: string }>(),
    missing: [],
    partial: false,
  });

  offsets(): (number | undefined)[] {
    return this.delivered.map((delivery) => delivery.offset);
  }

  /** `<offset>:<text>` of every delivery, in delivery order. */
  log(): string[] {
    return this.delivered.map(({ broadcast, offset }) => `${offset}:${broadcast.message}`);
  }
}

/**
 * The server's side of a presence store: the changes the store makes on its own, as the server would
 * hear them, and the node's own members, which the server keeps (`keep`/`drop` stand for its
 * tracker) and the store reads for partial answers.
 */
class PresenceRecorder implements PresenceStoreEvents {
  readonly removals: { room: string; id: string; version: number }[] = [];
  readonly local = new Map<string, PresenceMember[]>();
  lostCount = 0;
  /** Runs on `lost()`, synchronously (the server records its members again there). */
  onLost: (() => void) | null = null;

  removed(room: string, id: string, version: number): void {
    this.removals.push({ room, id, version });
  }

  lost(): void {
    this.lostCount++;
    this.onLost?.();
  }

  localMembers(room: string): PresenceMember[] {
    return [...(this.local.get(room) ?? [])];
  }

  keep(room: string, kept: PresenceMember): void {
    this.local.set(room, [...this.localMembers(room).filter((m) => m.id !== kept.id), kept]);
  }

  drop(room: string, id: string): void {
    this.local.set(
      room,
      this.localMembers(room).filter((m) => m.id !== id),
    );
  }
}

/** Records a member as the server does: in its own list, then in the store. */
function addMember(
  side: { presence: RedisPresenceStore; events: PresenceRecorder },
  room: string,
  added: PresenceMember,
) {
  side.events.keep(room, added);
  return side.presence.add(room, added);
}

/** Removes a member as the server does: from its own list, then from the store. */
function removeMember(
  side: { presence: RedisPresenceStore; events: PresenceRecorder },
  room: string,
  id: string,
) {
  side.events.drop(room, id);
  return side.presence.remove(room, id);
}

const say = (
  text: string,
  rooms: readonly string[] | null = null,
  except: readonly string[] = [],
): OutboundBroadcast => ({
  message: Buffer.from(text),
  binary: false,
  rooms,
  except,
  volatile: false,
});

const member = (id: string, meta: Record<string, unknown> = { name: id }): PresenceMember => ({
  id,
  meta,
});

const ids = (members: readonly PresenceMember[]) => members.map((m) => m.id);

/** A bounded wait for time to pass (only where the behaviour under test is time-based). */
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `count` consecutive offsets from `first`. */
const run = (first: number, count: number): number[] =>
  Array.from({ length: count }, (_, i) => first + i);

/** The stream ids of `count` consecutive offsets from `first`. */
const streamIds = (first: number, count: number): string[] =>
  run(first, count).map((offset) => `${offset}-0`);

/**
 * Checks that a log counter was created from Redis' clock (as SEQUENCE_BROADCAST and READ_LOG_OFFSET
 * do when it is missing): whole milliseconds times 1000, read between `from` and `to` (Date.now()).
 */
function expectClockSeed(seed: number, from: number, to: number): void {
  expect(Number.isSafeInteger(seed)).toBe(true);
  expect(seed % 1000).toBe(0);
  expect(seed / 1000).toBeGreaterThanOrEqual(from);
  expect(seed / 1000).toBeLessThanOrEqual(to);
}

/** What the scripts look like to Redis (their text and SHA1 are private to RedisScript). */
const scriptOf = (script: typeof SEQUENCE_BROADCAST) =>
  script as unknown as { readonly lua: string; readonly sha: string };

/** A clock the test moves, with the real interval timer (heartbeats keep running). */
class ManualClock implements Scheduler {
  time = 1_700_000_000_000;
  now = () => this.time;
  every(milliseconds: number, tick: () => void): { cancel(): void } {
    const timer = setInterval(tick, milliseconds);
    timer.unref();
    return { cancel: () => clearInterval(timer) };
  }
}

let prefixes = 0;

/** Stores of the current test (closed after it), on one redis-server. */
class Harness {
  readonly stores: RedisRoomStore[] = [];
  readonly logger = new CapturingLogger();

  constructor(private readonly redis: () => RedisServer) {}

  prefix(name: string): string {
    return `pr${++prefixes}-${name}`;
  }

  store(prefix: string, nodeId: string, options: Partial<RedisRoomStoreOptions> = {}) {
    const store = new RedisRoomStore({
      url: this.redis().url,
      prefix,
      nodeId,
      logger: this.logger,
      ...FAST,
      ...options,
    });
    this.stores.push(store);
    return store;
  }

  /** A started store with a recovery store (created before start, started after, as the server does). */
  async recovering(
    prefix: string,
    nodeId: string,
    recovery: RecoveryStoreOptions,
    options: Partial<RedisRoomStoreOptions> = {},
  ) {
    const store = this.store(prefix, nodeId, options);
    const log = store.createRecoveryStore(recovery) as RedisRecoveryStore;
    const node = new FakeNode();
    await store.start(node);
    await log.start();
    return { store, log, node };
  }

  /** A started store with a presence store attached to a recorder. */
  async present(prefix: string, nodeId: string, options: Partial<RedisRoomStoreOptions> = {}) {
    const store = this.store(prefix, nodeId, options);
    const presence = store.createPresenceStore() as RedisPresenceStore;
    const events = new PresenceRecorder();
    presence.attach(events);
    const node = new FakeNode();
    await store.start(node);
    return { store, presence, events, node };
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.stores.splice(0).map((store) => store.close()));
  }
}

/** Resolves once the store wrote `count` more heartbeats (bounded). */
async function heartbeats(store: RedisRoomStore, count: number): Promise<void> {
  const target = store.stats.heartbeats + count;
  await eventuallyAsync(
    () => store.stats.heartbeats >= target,
    WAIT_MS,
    `${count} heartbeats of ${store.nodeId}`,
  );
}

/** Sequences broadcasts one at a time, each awaited until `node` delivered it back. */
async function sequenceAll(
  store: RedisRoomStore,
  node: FakeNode,
  broadcasts: readonly OutboundBroadcast[],
): Promise<void> {
  for (const broadcast of broadcasts) {
    const before = node.delivered.length;
    expect(store.sequence(broadcast)).toBe(true);
    await eventuallyAsync(
      () => node.delivered.length > before,
      WAIT_MS,
      `${broadcast.message} delivered back`,
    );
  }
}

/** The ids and `t` fields of the log stream. */
async function streamOf(admin: Redis, prefix: string): Promise<{ id: string; t: number }[]> {
  const entries = await admin.xrange(`${prefix}:log`, '-', '+');
  return entries.map(([id, fields]) => ({ id, t: Number(fields[fields.indexOf('t') + 1]) }));
}

function session(
  token: string,
  rooms: readonly string[],
  overrides: Partial<SuspendedSession> = {},
): SuspendedSession {
  return {
    id: `id-${token}`,
    token,
    rooms,
    disconnectedAt: Date.now(),
    owner: 'alice',
    ...overrides,
  };
}

describe('Redis recovery and presence stores (store level, real redis-server)', () => {
  let redis: RedisServer;
  let admin: Redis;
  const harness = new Harness(() => redis);

  beforeAll(async () => {
    redis = await startRedisServer();
    admin = new Redis(redis.url);
  });

  afterEach(async () => {
    await harness.closeAll();
  });

  afterAll(async () => {
    admin?.disconnect();
    await redis?.kill();
  });

  describe('recovery log (SEQUENCE_BROADCAST)', () => {
    const options = { windowMs: 10_000, maxMessages: 100 };

    it('starts a new log from the clock, numbers logged broadcasts base + 1, 2, 3 and delivers them back to the origin', async () => {
      const prefix = harness.prefix('seq');
      const before = Date.now();
      const { store, log, node } = await harness.recovering(prefix, 'n1', options);
      const after = Date.now();
      // start() created the missing counter from Redis' clock: head() is that seed.
      const base = log.head();
      expectClockSeed(base, before, after);
      expect(await admin.get(`${prefix}:log-offset`)).toBe(String(base));
      await sequenceAll(store, node, [say('one', ['r']), say('two'), say('three', ['a', 'b'])]);
      expect(node.log()).toEqual([`${base + 1}:one`, `${base + 2}:two`, `${base + 3}:three`]);
      expect(node.offsets().every((offset) => Number.isSafeInteger(offset))).toBe(true);
      expect(node.delivered.map((d) => d.broadcast.rooms)).toEqual([['r'], null, ['a', 'b']]);
      expect(log.head()).toBe(base + 3);
      expect(store.stats.logged).toBe(3);
      expect([store.stats.logCaughtUp, store.stats.logGaps]).toEqual([0, 0]);
      expect(await admin.get(`${prefix}:log-offset`)).toBe(String(base + 3));
      expect((await streamOf(admin, prefix)).map((entry) => entry.id)).toEqual(
        streamIds(base + 1, 3),
      );
      // The idle log expires with the window; the counter does not.
      const ttl = await admin.pttl(`${prefix}:log`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(options.windowMs);
      expect(await admin.pttl(`${prefix}:log-offset`)).toBe(-1);
    });

    it('gives every store on the prefix the same offsets in the same order, whoever sent them', async () => {
      const prefix = harness.prefix('order');
      const a = await harness.recovering(prefix, 'a', options);
      const b = await harness.recovering(prefix, 'b', options);
      // b read the counter a created.
      const base = a.log.head();
      expect(b.log.head()).toBe(base);
      // Fired without waiting, interleaved: Redis decides the order, the same for both.
      for (let i = 0; i < 10; i++) {
        expect(a.store.sequence(say(`a${i}`))).toBe(true);
        expect(b.store.sequence(say(`b${i}`, ['room']))).toBe(true);
      }
      await eventuallyAsync(
        () => a.node.delivered.length === 20 && b.node.delivered.length === 20,
        WAIT_MS,
        'every broadcast delivered on both stores',
      );
      expect(a.node.log()).toEqual(b.node.log());
      expect(a.node.offsets()).toEqual(run(base + 1, 20));
      expect(a.node.offsets().every((offset) => Number.isSafeInteger(offset))).toBe(true);
      // Each sender's own broadcasts keep their order.
      const texts = a.node.delivered.map((d) => String(d.broadcast.message));
      for (const origin of ['a', 'b']) {
        expect(texts.filter((text) => text.startsWith(origin))).toEqual(
          Array.from({ length: 10 }, (_, i) => `${origin}${i}`),
        );
      }
      expect([a.log.head(), b.log.head()]).toEqual([base + 20, base + 20]);
      // The stream holds them under the same offsets.
      expect((await streamOf(admin, prefix)).map((entry) => entry.id)).toEqual(
        streamIds(base + 1, 20),
      );
    });

    it('a store started later starts at the current counter and receives the next offsets', async () => {
      const prefix = harness.prefix('late');
      const early = await harness.recovering(prefix, 'early', options);
      const base = early.log.head();
      await sequenceAll(early.store, early.node, [say('1'), say('2'), say('3'), say('4')]);
      const late = await harness.recovering(prefix, 'late', options);
      expect(late.log.head()).toBe(base + 4);
      expect(late.node.delivered).toEqual([]);
      await sequenceAll(late.store, late.node, [say('5')]);
      expect(late.node.log()).toEqual([`${base + 5}:5`]);
      await eventuallyAsync(() => early.node.delivered.length === 5, WAIT_MS, 'offset 5 on early');
      expect(early.node.log()).toEqual(run(1, 5).map((n) => `${base + n}:${n}`));
      expect([early.log.head(), late.log.head()]).toEqual([base + 5, base + 5]);
    });

    it('never keeps more than maxMessages entries', async () => {
      const prefix = harness.prefix('maxlen');
      const { store, log, node } = await harness.recovering(prefix, 'n1', {
        windowMs: 10_000,
        maxMessages: 5,
      });
      const base = log.head();
      for (let i = 1; i <= 12; i++) {
        await sequenceAll(store, node, [say(`m${i}`)]);
        expect(await admin.xlen(`${prefix}:log`)).toBe(Math.min(i, 5));
      }
      expect((await streamOf(admin, prefix)).map((entry) => entry.id)).toEqual(
        streamIds(base + 8, 5),
      );
      expect(node.offsets()).toEqual(run(base + 1, 12));
    });

    it('trims entries older than windowMs when a new one is logged, and an idle log expires whole', async () => {
      const windowMs = 300;
      const prefix = harness.prefix('age');
      const { store, log, node } = await harness.recovering(prefix, 'n1', {
        windowMs,
        maxMessages: 1000,
      });
      const base = log.head();
      await sequenceAll(store, node, [say('old1'), say('old2')]);
      const [, second] = await streamOf(admin, prefix);
      // Keep the log busy (so it does not expire) until the first two are older than the window.
      let logged = 2;
      for (let round = 0; round < 40 && Date.now() - second.t <= windowMs + 100; round++) {
        await pause(50);
        await sequenceAll(store, node, [say(`new${++logged}`)]);
      }
      expect(Date.now() - second.t).toBeGreaterThan(windowMs);
      const stream = await streamOf(admin, prefix);
      const newest = stream[stream.length - 1];
      expect(newest.id).toBe(`${base + logged}-0`);
      expect(stream.map((entry) => entry.id)).not.toContain(`${base + 1}-0`);
      expect(stream.map((entry) => entry.id)).not.toContain(`${base + 2}-0`);
      for (const entry of stream) expect(entry.t).toBeGreaterThanOrEqual(newest.t - windowMs);
      // Trimmed only by age: the recent entries are all still there, contiguous up to the newest.
      const first = Number(stream[0].id.split('-')[0]);
      expect(stream.map((entry) => entry.id)).toEqual(streamIds(first, base + logged - first + 1));

      // Idle for longer than the window: the whole stream expires, the counter stays.
      await eventuallyAsync(
        async () => (await admin.exists(`${prefix}:log`)) === 0,
        WAIT_MS,
        'the idle log expired',
      );
      expect(await admin.get(`${prefix}:log-offset`)).toBe(String(base + logged));
      // A session that missed anything can no longer resume; one that missed nothing can.
      await log.suspend(session('t-missed', ['r']));
      expect(await log.take('t-missed', base + logged - 1, 'alice', Date.now())).toEqual({
        ok: false,
        reason: 'history-gone',
      });
      await log.suspend(session('t-none', ['r']));
      expect(await log.take('t-none', base + logged, 'alice', Date.now())).toMatchObject({
        ok: true,
      });
    });

    it('trims old entries in bounded batches (a clock the test moves)', async () => {
      const clock = new ManualClock();
      const windowMs = 60_000;
      const prefix = harness.prefix('batch');
      const { store, log, node } = await harness.recovering(
        prefix,
        'n1',
        { windowMs, maxMessages: 1000 },
        { scheduler: clock },
      );
      const base = log.head();
      for (let i = 1; i <= 100; i++) expect(store.sequence(say(`m${i}`))).toBe(true);
      await eventuallyAsync(() => node.delivered.length === 100, WAIT_MS, '100 logged');
      expect(await admin.xlen(`${prefix}:log`)).toBe(100);

      clock.time += windowMs + 1;
      // The first 64 (one batch) are all too old: trimmed up to the end of the batch.
      await sequenceAll(store, node, [say('m101')]);
      let stream = await streamOf(admin, prefix);
      expect(stream[0].id).toBe(`${base + 65}-0`);
      expect(stream).toHaveLength(37);
      // The next call finds the first recent entry in its batch: trimmed up to it.
      await sequenceAll(store, node, [say('m102')]);
      stream = await streamOf(admin, prefix);
      expect(stream.map((entry) => entry.id)).toEqual(streamIds(base + 101, 2));
      expect(stream.map((entry) => entry.t)).toEqual([clock.time, clock.time]);

      // The resume check reads the same clock.
      await log.suspend(session('b1', ['r'], { disconnectedAt: clock.time }));
      expect(await log.take('b1', base + 99, 'alice', clock.time)).toEqual({
        ok: false,
        reason: 'history-gone',
      });
      await log.suspend(session('b2', ['r'], { disconnectedAt: clock.time }));
      expect(await log.take('b2', base + 100, 'alice', clock.time)).toMatchObject({ ok: true });
      // Entry 101 itself older than the window (by the caller's clock): gone.
      await log.suspend(session('b3', ['r'], { disconnectedAt: clock.time + windowMs }));
      expect(await log.take('b3', base + 100, 'alice', clock.time + windowMs + 1)).toEqual({
        ok: false,
        reason: 'history-gone',
      });
    });

    it('delivers a broadcast beyond the next offset after the missed ones, read from the stream, once each', async () => {
      const prefix = harness.prefix('fill');
      const { store, log, node } = await harness.recovering(prefix, 'n1', options);
      const base = log.head();
      await sequenceAll(store, node, [say('1'), say('2')]);
      /** What another node's script would have written for `base + n`: the entry, maybe its publication. */
      const other = async (n: number, { logged = true, published = true } = {}) => {
        const offset = base + n;
        const { head, body } = encodeLoggedParts('other', say(String(n), ['r']));
        if (logged) {
          await admin.xadd(`${prefix}:log`, `${offset}-0`, 't', String(Date.now()), 'd', body);
          await admin.set(`${prefix}:log-offset`, offset);
        }
        if (published) {
          await admin.publish(
            `${prefix}:logged`,
            Buffer.concat([head, Buffer.from(`${offset}-0;`), body]),
          );
        }
      };
      /** The delivered offsets, relative to the base. */
      const delivered = () => node.offsets().map((offset) => offset! - base);
      // 3 and 4 were logged but not received (a subscriber reconnecting): 5 brings them first.
      await other(3, { published: false });
      await other(4, { published: false });
      await other(5);
      await eventuallyAsync(() => node.delivered.length === 5, WAIT_MS, '3, 4 and 5');
      expect(node.log()).toEqual(run(1, 5).map((n) => `${base + n}:${n}`));
      expect([store.stats.logCaughtUp, store.stats.logGaps, log.head()]).toEqual([2, 0, base + 5]);

      // Received twice (already delivered from the stream): once only.
      await other(4, { logged: false });
      await other(6);
      await eventuallyAsync(() => node.delivered.length === 6, WAIT_MS, '6');
      expect(delivered()).toEqual([1, 2, 3, 4, 5, 6]);

      // 7 and 8 are in neither the channel nor the stream any more: one hole, counted once (not
      // once per missed offset), and the rest goes on.
      await other(9, { published: false });
      await other(10);
      await eventuallyAsync(() => node.delivered.length === 8, WAIT_MS, '9 and 10');
      expect(delivered()).toEqual([1, 2, 3, 4, 5, 6, 9, 10]);
      expect([store.stats.logCaughtUp, store.stats.logGaps, log.head()]).toEqual([3, 1, base + 10]);

      // What arrives while the gap is being read waits for it.
      await other(11, { published: false });
      await other(12, { published: false });
      await other(13, { published: false });
      const { head, body } = encodeLoggedParts('other', say('x'));
      const frame = (n: number) => Buffer.concat([head, Buffer.from(`${base + n}-0;`), body]);
      await admin
        .multi()
        .publish(`${prefix}:logged`, frame(12))
        .publish(`${prefix}:logged`, frame(13))
        .exec();
      await eventuallyAsync(() => node.delivered.length === 11, WAIT_MS, '11 to 13');
      expect(delivered().slice(8)).toEqual([11, 12, 13]);
      expect([store.stats.logCaughtUp, store.stats.logGaps, log.head()]).toEqual([4, 1, base + 13]);
    });

    it('takes a logged broadcast received before start() read the counter as where it starts (no fill)', async () => {
      const prefix = harness.prefix('baseline');
      const early = await harness.recovering(prefix, 'early', options);
      const base = early.log.head();
      await sequenceAll(early.store, early.node, [say('1'), say('2'), say('3')]);
      // Started, but its recovery store has not read the counter yet (the server does it next).
      const store = harness.store(prefix, 'late');
      const log = store.createRecoveryStore(options) as RedisRecoveryStore;
      const node = new FakeNode();
      await store.start(node);
      expect(log.head()).toBe(0);
      await sequenceAll(early.store, early.node, [say('4')]);
      await eventuallyAsync(() => node.delivered.length === 1, WAIT_MS, '4 on late');
      // Not a gap from 1: the stream's earlier entries are not read, nothing is counted.
      expect(node.log()).toEqual([`${base + 4}:4`]);
      expect([store.stats.logCaughtUp, store.stats.logGaps, log.head()]).toEqual([0, 0, base + 4]);
      // start() never goes back, and the next one follows.
      await log.start();
      expect(log.head()).toBe(base + 4);
      await sequenceAll(store, node, [say('5')]);
      expect(node.log()).toEqual([`${base + 4}:4`, `${base + 5}:5`]);
      expect([store.stats.logCaughtUp, store.stats.logGaps]).toEqual([0, 0]);
    });
  });

  it('retries loading the numbering script until Redis lets it, and logs nothing before', async () => {
    const prefix = harness.prefix('acl');
    const user = `${prefix}-user`;
    // A user that may run scripts but not load them.
    await admin.call('ACL', 'SETUSER', user, 'on', '>pw', '~*', '&*', '+@all', '-script|load');
    try {
      const url = new URL(redis.url);
      url.username = user;
      url.password = 'pw';
      const store = new RedisRoomStore({
        url: url.toString(),
        prefix,
        nodeId: 'acl',
        logger: harness.logger,
        ...FAST,
      });
      harness.stores.push(store);
      store.createRecoveryStore({ windowMs: 10_000, maxMessages: 100 });
      const node = new FakeNode();
      await store.start(node);
      expect(store.stats.connected).toBe(true);
      expect(store.sequence(say('too early'))).toBe(false);
      expect(harness.logger.lines.map((line) => line.message).join('\n')).toContain(
        'loading the log scripts failed',
      );

      await admin.call('ACL', 'SETUSER', user, '+script|load');
      await eventuallyAsync(() => store.sequence(say('numbered')), WAIT_MS, 'the script loaded');
      await eventuallyAsync(() => node.delivered.length === 1, WAIT_MS, 'delivered back');
      expect(String(node.delivered[0].broadcast.message)).toBe('numbered');
      expect(node.delivered[0].offset).toEqual(expect.any(Number));
    } finally {
      await admin.call('ACL', 'DELUSER', user);
    }
  });

  describe('sessions (TAKE_SESSION) and missed broadcasts', () => {
    const options = { windowMs: 10_000, maxMessages: 100 };

    it('gives a suspended session back once, kept for the window plus a grace period', async () => {
      const prefix = harness.prefix('once');
      const { log } = await harness.recovering(prefix, 'n1', options);
      // The offset a client that connected now holds.
      const base = log.head();
      const kept = session('tok-1', ['a', 'b']);
      await log.suspend(kept);
      const ttl = await admin.pttl(`${prefix}:session:tok-1`);
      expect(ttl).toBeGreaterThan(options.windowMs);
      expect(ttl).toBeLessThanOrEqual(options.windowMs + 60_000);
      expect(await log.take('tok-1', base, 'alice', Date.now())).toEqual({
        ok: true,
        session: kept,
      });
      expect(await admin.exists(`${prefix}:session:tok-1`)).toBe(0);
      expect(await log.take('tok-1', base, 'alice', Date.now())).toEqual({
        ok: false,
        reason: 'unknown-session',
      });
      expect(await log.take('never-kept', base, 'alice', Date.now())).toEqual({
        ok: false,
        reason: 'unknown-session',
      });
    });

    it('refuses another owner as unknown-session and keeps the session for its own', async () => {
      const prefix = harness.prefix('owner');
      const { log } = await harness.recovering(prefix, 'n1', options);
      const base = log.head();
      const kept = session('tok-2', ['a']);
      await log.suspend(kept);
      for (const intruder of ['mallory', '', 'Alice']) {
        expect(await log.take('tok-2', base, intruder, Date.now())).toEqual({
          ok: false,
          reason: 'unknown-session',
        });
      }
      expect(await admin.exists(`${prefix}:session:tok-2`)).toBe(1);
      expect(await log.take('tok-2', base, 'alice', Date.now())).toEqual({
        ok: true,
        session: kept,
      });
    });

    it('answers expired once the window passed (the key outlives it)', async () => {
      const windowMs = 300;
      const prefix = harness.prefix('expired');
      const { log } = await harness.recovering(prefix, 'n1', { windowMs, maxMessages: 100 });
      const base = log.head();
      const kept = session('tok-3', ['a']);
      await log.suspend(kept);
      await eventuallyAsync(
        () => Date.now() - kept.disconnectedAt > windowMs + 20,
        WAIT_MS,
        'the window to pass',
      );
      expect(await admin.pttl(`${prefix}:session:tok-3`)).toBeGreaterThan(0);
      expect(await log.take('tok-3', base, 'alice', Date.now())).toEqual({
        ok: false,
        reason: 'expired',
      });
      // The attempt consumed it.
      expect(await log.take('tok-3', base, 'alice', Date.now())).toEqual({
        ok: false,
        reason: 'unknown-session',
      });
    });

    it('answers invalid-offset for an offset above the counter, negative, or not an integer', async () => {
      const prefix = harness.prefix('invalid');
      const { store, log, node } = await harness.recovering(prefix, 'n1', options);
      const base = log.head();
      await sequenceAll(store, node, [say('1'), say('2')]);
      let n = 0;
      const attempt = async (offset: number) => {
        const token = `inv-${++n}`;
        await log.suspend(session(token, ['r']));
        return log.take(token, offset, 'alice', Date.now());
      };
      const invalid = [base + 3, base + 1000, -1, Number.NaN, base + 1.5, 1.5, Infinity, 2 ** 53];
      for (const offset of invalid) {
        expect({ offset, result: await attempt(offset) }).toEqual({
          offset,
          result: { ok: false, reason: 'invalid-offset' },
        });
      }
      for (const offset of [base, base + 1, base + 2]) {
        expect({ offset, result: await attempt(offset) }).toMatchObject({
          offset,
          result: { ok: true },
        });
      }
      // Below the base: the log never numbered the offsets after it (it started from the clock).
      for (const offset of [0, 1, base - 1]) {
        expect({ offset, result: await attempt(offset) }).toEqual({
          offset,
          result: { ok: false, reason: 'history-gone' },
        });
      }
    });

    it('answers history-gone when the entry after the offset was trimmed by count', async () => {
      const prefix = harness.prefix('gone');
      const { store, log, node } = await harness.recovering(prefix, 'n1', {
        windowMs: 10_000,
        maxMessages: 3,
      });
      const base = log.head();
      await sequenceAll(
        store,
        node,
        ['1', '2', '3', '4', '5', '6'].map((text) => say(text)),
      );
      // The log holds base + 4, 5, 6.
      const take = async (token: string, offset: number) => {
        await log.suspend(session(token, ['r']));
        return log.take(token, base + offset, 'alice', Date.now());
      };
      expect(await take('g0', 0)).toEqual({ ok: false, reason: 'history-gone' });
      expect(await take('g2', 2)).toEqual({ ok: false, reason: 'history-gone' });
      expect(await take('g3', 3)).toMatchObject({ ok: true });
      expect(await take('g5', 5)).toMatchObject({ ok: true });
      expect(await take('g6', 6)).toMatchObject({ ok: true });
    });

    it("missed() returns the entries that reached the session's rooms or id, in order, with their bytes", async () => {
      const prefix = harness.prefix('missed');
      const { store, log, node } = await harness.recovering(prefix, 'n1', options);
      const binary: OutboundBroadcast = {
        message: Buffer.from([0, 0xff, 0x3b, 0x2d, 1]),
        binary: true,
        rooms: ['b'],
        except: [],
        volatile: false,
      };
      const base = log.head();
      const before = Date.now();
      await sequenceAll(store, node, [
        say('m1 to a', ['a']),
        say('m2 to c', ['c']),
        say('m3 to everyone'),
        say('m4 to c and b', ['c', 'b']),
        say('m5 everyone but me', null, ['me']),
        say('m6 to me', ['me']),
        say('m7 to a but not b', ['a'], ['b']),
        say('m8 everyone but x', null, ['x']),
        binary,
        say('m10 to a but not me', ['a'], ['me']),
      ]);
      const after = Date.now();
      const kept = session('tok-m', ['a', 'b'], { id: 'me' });
      await log.suspend(kept);
      const taken = await log.take('tok-m', base, 'alice', Date.now());
      expect(taken).toEqual({ ok: true, session: kept });

      const missed = (await log.missed(kept, base, Date.now()))!;
      expect(missed.map((entry) => entry.offset - base)).toEqual([1, 3, 4, 6, 8, 9]);
      expect(missed.slice(0, 5).map((entry) => String(entry.message))).toEqual([
        'm1 to a',
        'm3 to everyone',
        'm4 to c and b',
        'm6 to me',
        'm8 everyone but x',
      ]);
      expect(missed[5].message.equals(binary.message)).toBe(true);
      expect(missed.map((entry) => entry.binary)).toEqual([
        false,
        false,
        false,
        false,
        false,
        true,
      ]);
      expect(missed.map((entry) => [entry.rooms, entry.except])).toEqual([
        [['a'], []],
        [null, []],
        [['c', 'b'], []],
        [['me'], []],
        [null, ['x']],
        [['b'], []],
      ]);
      for (const entry of missed) {
        expect(entry.at).toBeGreaterThanOrEqual(before);
        expect(entry.at).toBeLessThanOrEqual(after);
      }
      // From a later offset: only what came after it; at the head: nothing.
      expect(
        (await log.missed(kept, base + 4, Date.now()))!.map((entry) => entry.offset - base),
      ).toEqual([6, 8, 9]);
      expect(await log.missed(kept, base + 10, Date.now())).toEqual([]);
    });

    it('missed() returns null when the entries were trimmed between take() and missed()', async () => {
      const prefix = harness.prefix('race');
      const { store, log, node } = await harness.recovering(prefix, 'n1', {
        windowMs: 10_000,
        maxMessages: 3,
      });
      const base = log.head();
      const kept = session('tok-r', ['r']);
      const offsets = async (after: number) =>
        (await log.missed(kept, base + after, Date.now()))?.map((entry) => entry.offset - base);
      await sequenceAll(store, node, [say('1', ['r']), say('2', ['r']), say('3', ['r'])]);
      await log.suspend(kept);
      expect(await log.take('tok-r', base, 'alice', Date.now())).toMatchObject({ ok: true });
      expect(await offsets(0)).toEqual([1, 2, 3]);
      // More is said before the replay is read: base + 1 is trimmed by count.
      await sequenceAll(store, node, [say('4', ['r'])]);
      expect(await log.missed(kept, base, Date.now())).toBeNull();
      expect(await offsets(1)).toEqual([2, 3, 4]);
      // The entry after the offset is there but older than the window (by the caller's clock).
      expect(await log.missed(kept, base + 1, Date.now() + 10_001)).toBeNull();
    });
  });

  describe('presence records (PRESENCE_ADD / REMOVE / READ)', () => {
    it('numbers every change of a room once across the stores of the prefix', async () => {
      const prefix = harness.prefix('versions');
      const a = await harness.present(prefix, 'A');
      const b = await harness.present(prefix, 'B');
      expect(await a.presence.add('lobby', member('a1'))).toEqual({
        members: [member('a1')],
        version: 1,
        partial: false,
      });
      expect(await b.presence.add('lobby', member('b1', { name: 'bob', n: 1 }))).toEqual({
        members: [member('a1'), member('b1', { name: 'bob', n: 1 })],
        version: 2,
        partial: false,
      });
      const third = await a.presence.add('lobby', member('a2'));
      expect({ ids: ids(third.members), version: third.version }).toEqual({
        ids: ['a1', 'b1', 'a2'],
        version: 3,
      });
      // Any store removes any member; a member not recorded is null and takes no version.
      expect(await b.presence.remove('lobby', 'a1')).toBe(4);
      expect(await a.presence.remove('lobby', 'a1')).toBeNull();
      expect(await a.presence.remove('lobby', 'nobody')).toBeNull();
      expect(await a.presence.remove('elsewhere', 'a2')).toBeNull();
      expect(await b.presence.remove('lobby', 'a2')).toBe(5);
      // Versions are per room.
      expect((await b.presence.add('other', member('b2'))).version).toBe(1);
      const snapshot = await a.presence.snapshot('lobby');
      expect(snapshot).toEqual({
        members: [member('b1', { name: 'bob', n: 1 })],
        version: 5,
        partial: false,
      });
      expect(Object.isFrozen(snapshot.members[0].meta)).toBe(true);
      // The records as documented: `<join version>:{"n":node,"m":meta}`, and each node's room set.
      expect(await admin.hget(`${prefix}:presence:lobby`, 'b1')).toBe(
        '2:{"n":"B","m":{"name":"bob","n":1}}',
      );
      expect((await admin.smembers(`${prefix}:presence-rooms:B`)).sort()).toEqual([
        'lobby',
        'other',
      ]);
      expect(await admin.smembers(`${prefix}:presence-rooms:A`)).toEqual(['lobby']);
      expect([a.events.removals, b.events.removals, a.events.lostCount]).toEqual([[], [], 0]);
    });

    it('lists members in join order, also past the compact hash encoding, and a re-join moves to the end', async () => {
      const prefix = harness.prefix('order');
      const a = await harness.present(prefix, 'A');
      const b = await harness.present(prefix, 'B');
      // Values longer than 64 bytes: Redis keeps the hash as a table, in no particular order.
      const long = (id: string) => member(id, { name: id, bio: `${id} `.repeat(20) });
      const joined: string[] = [];
      for (let i = 0; i < 60; i++) {
        const id = `m${String(59 - i).padStart(2, '0')}`; // descending names
        await (i % 2 === 0 ? a : b).presence.add('big', long(id));
        joined.push(id);
      }
      expect(await admin.object('ENCODING', `${prefix}:presence:big`)).toBe('hashtable');
      const fromA = await a.presence.snapshot('big');
      expect(ids(fromA.members)).toEqual(joined);
      expect(fromA.members[0]).toEqual(long('m59'));
      expect(fromA.version).toBe(60);
      expect(ids((await b.presence.snapshot('big')).members)).toEqual(joined);

      await a.presence.add('small', member('z'));
      await b.presence.add('small', member('y'));
      await a.presence.add('small', member('x'));
      expect(ids((await b.presence.snapshot('small')).members)).toEqual(['z', 'y', 'x']);
      // Recorded again (as after a resync): it takes a new version, hence the last place.
      const again = await b.presence.add('small', member('z', { name: 'z2' }));
      expect(again.version).toBe(4);
      expect(again.members).toEqual([member('y'), member('x'), member('z', { name: 'z2' })]);
    });

    it("snapshot() lists both stores' members but leaves out those of a node that is not live", async () => {
      const prefix = harness.prefix('live');
      const a = await harness.present(prefix, 'A');
      const b = await harness.present(prefix, 'B');
      await a.presence.add('r', member('a1'));
      await b.presence.add('r', member('b1'));
      for (const store of [a, b]) {
        expect(ids((await store.presence.snapshot('r')).members)).toEqual(['a1', 'b1']);
      }
      // A record of a node that is neither registered nor beating (written as another program would).
      await admin
        .multi()
        .incr(`${prefix}:presence-version:r`)
        .hset(`${prefix}:presence:r`, 'g1', '3:{"n":"ghost","m":{"name":"g1"}}')
        .exec();
      const snapshot = await b.presence.snapshot('r');
      expect(snapshot).toEqual({
        members: [member('a1'), member('b1')],
        version: 3,
        partial: false,
      });
      // Left out, not removed: only the death of a registered node removes records.
      expect(await admin.hexists(`${prefix}:presence:r`, 'g1')).toBe(1);
      // The joiner's list (PRESENCE_ADD) is read without that filter.
      expect(ids((await a.presence.add('r', member('a2'))).members)).toEqual([
        'a1',
        'b1',
        'g1',
        'a2',
      ]);
      // Values that are not records are ignored.
      await admin.hset(`${prefix}:presence:r`, 'junk', 'not a record');
      expect(ids((await a.presence.snapshot('r')).members)).toEqual(['a1', 'b1', 'a2']);
    });

    it("gives an empty room's version a TTL, and takes it away when a member joins", async () => {
      const prefix = harness.prefix('ttl');
      const a = await harness.present(prefix, 'A');
      const versionKey = `${prefix}:presence-version:r`;
      await a.presence.add('r', member('a1'));
      await a.presence.add('r', member('a2'));
      expect(await admin.pttl(versionKey)).toBe(-1);
      expect(await a.presence.remove('r', 'a1')).toBe(3);
      expect(await admin.pttl(versionKey)).toBe(-1);
      expect(await a.presence.remove('r', 'a2')).toBe(4);
      const ttl = await admin.pttl(versionKey);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(10 * 60_000);
      expect(await admin.exists(`${prefix}:presence:r`)).toBe(0);
      expect(await a.presence.snapshot('r')).toEqual({ members: [], version: 4, partial: false });
      // The version goes on from where it was, and lives without TTL again.
      expect((await a.presence.add('r', member('a3'))).version).toBe(5);
      expect(await admin.pttl(versionKey)).toBe(-1);
    });
  });

  describe("a dead node's members (FORGET_NODE through liveNodes)", () => {
    /** Records of a dead node `ghost`, written as PRESENCE_ADD would have: registered, no heartbeat. */
    async function writeGhost(prefix: string, members: [room: string, id: string][]) {
      const multi = admin.multi();
      for (const [room] of members) {
        multi.incr(`${prefix}:presence-version:${room}`);
        multi.sadd(`${prefix}:presence-rooms:ghost`, room);
      }
      await multi.exec();
      for (const [room, id] of members) {
        const version = await admin.get(`${prefix}:presence-version:${room}`);
        await admin.hset(
          `${prefix}:presence:${room}`,
          id,
          `${version}:${JSON.stringify({ n: 'ghost', m: { name: id } })}`,
        );
      }
      // Registered last: from now on a live store's next look finds it dead.
      await admin.sadd(`${prefix}:nodes`, 'ghost');
    }

    it("removes a dead store's members once its heartbeat key expired, and tells the room", async () => {
      const prefix = harness.prefix('dead');
      const a = await harness.present(prefix, 'A');
      const b = await harness.present(prefix, 'B');
      await a.presence.add('r', member('a1'));
      const bJoin = await b.presence.add('r', member('b1'));
      await b.presence.add('q', member('b2'));
      // B goes silent without leaving: its connections drop, its heartbeat key expires.
      const silent = connectionsOf(b.store);
      silent.pub.disconnect();
      silent.sub.disconnect();
      await eventuallyAsync(
        () => a.events.removals.length === 2,
        WAIT_MS,
        "B's two members removed by A",
      );
      expect(await admin.exists(`${prefix}:node:B`)).toBe(0);
      const byRoom = Object.fromEntries(a.events.removals.map((e) => [`${e.room}/${e.id}`, e]));
      expect(byRoom['r/b1'].version).toBe(bJoin.version + 1);
      expect(byRoom['q/b2'].version).toBe(2);
      expect(await a.presence.snapshot('r')).toEqual({
        members: [member('a1')],
        version: 3,
        partial: false,
      });
      expect(await admin.hkeys(`${prefix}:presence:q`)).toEqual([]);
      expect(await admin.exists(`${prefix}:presence-rooms:B`)).toBe(0);
      expect(await admin.smembers(`${prefix}:nodes`)).toEqual(['A']);
      // A room that emptied keeps its version for a while; one with members keeps it for good.
      expect(await admin.pttl(`${prefix}:presence-version:q`)).toBeGreaterThan(0);
      expect(await admin.pttl(`${prefix}:presence-version:r`)).toBe(-1);
      // Once only, however many times A looks again.
      await heartbeats(a.store, 3);
      expect(a.events.removals).toHaveLength(2);
      expect(b.events.removals).toEqual([]);
    });

    it('two live stores noticing at once remove (and report) each member exactly once', async () => {
      const prefix = harness.prefix('race');
      const a = await harness.present(prefix, 'A');
      const c = await harness.present(prefix, 'C');
      await a.presence.add('r1', member('a1'));
      await c.presence.add('r2', member('c1'));
      await writeGhost(prefix, [
        ['r1', 'g1'],
        ['r1', 'g2'],
        ['r2', 'g3'],
        ['r3', 'g4'],
      ]);
      // Both look at once, several times, on top of their heartbeats.
      const looks = await Promise.all([a, c, a, c, a, c].map((store) => store.store.liveNodes()));
      for (const live of looks) expect(live).not.toContain('ghost');
      const all = () => [...a.events.removals, ...c.events.removals];
      await eventuallyAsync(() => all().length >= 4, WAIT_MS, 'the ghost members removed');
      await Promise.all([heartbeats(a.store, 3), heartbeats(c.store, 3)]);
      const removed = all()
        .map((e) => `${e.room}/${e.id}`)
        .sort();
      expect(removed).toEqual(['r1/g1', 'r1/g2', 'r2/g3', 'r3/g4']);
      // One version per removal: r1 had a1 (1) and g1, g2 (2, 3): removals take 4 and 5.
      const r1 = all()
        .filter((e) => e.room === 'r1')
        .map((e) => e.version)
        .sort();
      expect(r1).toEqual([4, 5]);
      expect(ids((await c.presence.snapshot('r1')).members)).toEqual(['a1']);
      expect(ids((await a.presence.snapshot('r2')).members)).toEqual(['c1']);
      expect(await admin.exists(`${prefix}:presence:r3`)).toBe(0);
      expect(await admin.pttl(`${prefix}:presence-version:r3`)).toBeGreaterThan(0);
      expect(await admin.pttl(`${prefix}:presence-version:r1`)).toBe(-1);
      expect(await admin.exists(`${prefix}:presence-rooms:ghost`)).toBe(0);
      expect((await admin.smembers(`${prefix}:nodes`)).sort()).toEqual(['A', 'C']);
    });

    it('FORGET_NODE run many times concurrently removes each member once', async () => {
      const prefix = harness.prefix('atomic');
      const a = await harness.present(prefix, 'A');
      const c = await harness.present(prefix, 'C');
      const ghost: [string, string][] = [];
      for (let i = 0; i < 30; i++) ghost.push([`room${i % 3}`, `g${i}`]);
      await writeGhost(prefix, ghost);
      const runs = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          (i % 2 === 0 ? a : c).presence.forgetNode('ghost', 'dead'),
        ),
      );
      expect(runs.every((ok) => ok)).toBe(true);
      const all = [...a.events.removals, ...c.events.removals];
      expect(all).toHaveLength(30);
      expect(new Set(all.map((e) => e.id)).size).toBe(30);
      for (let room = 0; room < 3; room++) {
        // Each room: 10 joins (versions 1..10), then 10 removals (11..20), each once.
        const versions = all
          .filter((e) => e.room === `room${room}`)
          .map((e) => e.version)
          .sort((x, y) => x - y);
        expect(versions).toEqual(Array.from({ length: 10 }, (_, i) => 11 + i));
        expect(await admin.get(`${prefix}:presence-version:room${room}`)).toBe('20');
      }
    });

    it("FORGET_NODE: 'dead' leaves a node whose heartbeat is back alone, 'self' keeps the node in the set", async () => {
      const prefix = harness.prefix('modes');
      const keys = new RedisKeys(prefix);
      await writeGhost(prefix, [
        ['r1', 'g1'],
        ['r2', 'g2'],
      ]);
      // The ghost's heartbeat came back between a look that found it dead and the script.
      await admin.set(`${prefix}:node:ghost`, '{}', 'PX', 5000);
      expect(await forgetNode(admin, keys, 'ghost', 'dead')).toEqual([]);
      expect(await admin.sismember(`${prefix}:nodes`, 'ghost')).toBe(1);
      expect((await admin.hkeys(`${prefix}:presence:r1`)).sort()).toEqual(['g1']);
      expect((await admin.smembers(`${prefix}:presence-rooms:ghost`)).sort()).toEqual(['r1', 'r2']);

      // The node clearing its own records (heartbeat alive): removed, and still in the node set.
      const cleared = await forgetNode(admin, keys, 'ghost', 'self');
      expect(cleared.sort((x, y) => x.room.localeCompare(y.room))).toEqual([
        { room: 'r1', connectionId: 'g1', version: 2 },
        { room: 'r2', connectionId: 'g2', version: 2 },
      ]);
      expect(await admin.sismember(`${prefix}:nodes`, 'ghost')).toBe(1);
      expect(await admin.exists(`${prefix}:presence-rooms:ghost`)).toBe(0);

      // Dead for real (no heartbeat key): its new records go, and so does it.
      await admin.del(`${prefix}:node:ghost`);
      await writeGhost(prefix, [['r1', 'g3']]);
      expect(await forgetNode(admin, keys, 'ghost', 'dead')).toEqual([
        { room: 'r1', connectionId: 'g3', version: 4 },
      ]);
      expect(await admin.sismember(`${prefix}:nodes`, 'ghost')).toBe(0);
      expect(await admin.exists(`${prefix}:presence:r1`)).toBe(0);
    });
  });
});

describe('Redis presence store: Redis restarts or a change fails (resync)', () => {
  let redis: RedisServer;
  let admin: Redis;
  const harness = new Harness(() => redis);
  /** Reconnect attempts every 50 ms, so the tests do not wait for ioredis' backoff. */
  const quickReconnect = { redisOptions: { retryStrategy: () => 50 } };

  beforeAll(async () => {
    redis = await startRedisServer();
    admin = new Redis(redis.url, { retryStrategy: () => 50 });
    admin.on('error', () => undefined);
  });

  afterEach(async () => {
    await harness.closeAll();
  });

  afterAll(async () => {
    admin?.disconnect();
    await redis?.kill();
  });

  async function outage(store: RedisRoomStore): Promise<void> {
    await redis.kill();
    await eventuallyAsync(() => !store.stats.connected, WAIT_MS, 'the store to notice the outage');
  }

  it('after Redis restarted empty, the heartbeat finds its key gone and the node records its members again', async () => {
    const prefix = harness.prefix('restart');
    const a = await harness.present(prefix, 'A', quickReconnect);
    const recorded = [member('a1'), member('a2')];
    for (const m of recorded) await a.presence.add('r', m);
    let again: Promise<unknown>[] = [];
    a.events.onLost = () => (again = recorded.map((m) => a.presence.add('r', m)));
    const warnings = harness.logger.lines.filter((line) => line.level === 'warn').length;

    await outage(a.store);
    expect(a.events.lostCount).toBe(0);
    await redis.restart();
    await eventuallyAsync(() => a.events.lostCount === 1, WAIT_MS, 'lost() after the restart');
    await Promise.all(again);
    await eventuallyAsync(() => a.store.stats.connected, WAIT_MS, 'connected again');
    expect(a.presence.needsResync).toBe(false);
    expect(await a.presence.snapshot('r')).toEqual({
      members: recorded,
      version: 2,
      partial: false,
    });
    expect(await admin.smembers(`${prefix}:presence-rooms:A`)).toEqual(['r']);
    // Once: the following heartbeats find the key again.
    await heartbeats(a.store, 3);
    expect(a.events.lostCount).toBe(1);
    expect(a.events.removals).toEqual([]); // Redis was empty: nothing of A's to remove
    expect(
      harness.logger.lines
        .slice(warnings)
        .filter((line) => line.message.includes("lost this node's presence records")),
    ).toHaveLength(1);
  });

  it('a change made while Redis is down answers partially, and the node resyncs once Redis is back', async () => {
    const prefix = harness.prefix('down');
    const a = await harness.present(prefix, 'A', quickReconnect);
    await addMember(a, 'r', member('a1'));
    await addMember(a, 'r', member('a2'));
    await outage(a.store);

    // Partial answers list the node's own members, as the server keeps them.
    expect(await addMember(a, 'r', member('a3'))).toEqual({
      members: [member('a1'), member('a2'), member('a3')],
      version: 0,
      partial: true,
    });
    expect(a.presence.needsResync).toBe(true);
    // A removal Redis could not number: 0 (the server announces it without a version).
    expect(await removeMember(a, 'r', 'a1')).toBe(0);
    expect(await a.presence.snapshot('r')).toEqual({
      members: [member('a2'), member('a3')],
      version: 0,
      partial: true,
    });

    let again: Promise<unknown>[] = [];
    a.events.onLost = () =>
      (again = [member('a2'), member('a3')].map((m) => a.presence.add('r', m)));
    await redis.restart();
    await eventuallyAsync(() => a.events.lostCount === 1, WAIT_MS, 'lost() once Redis is back');
    expect(a.presence.needsResync).toBe(false);
    await Promise.all(again);
    expect(await a.presence.snapshot('r')).toEqual({
      members: [member('a2'), member('a3')],
      version: 2,
      partial: false,
    });
    await heartbeats(a.store, 3);
    expect(a.events.lostCount).toBe(1);
  });

  it('a change that fails while Redis is up makes the next heartbeat clear and record the members again', async () => {
    const prefix = harness.prefix('failed');
    const a = await harness.present(prefix, 'A', quickReconnect);
    await addMember(a, 'r', member('a1'));
    // A key of the wrong type makes the script fail: the change does not reach Redis.
    await admin.set(`${prefix}:presence:broken`, 'not a hash');
    let again: Promise<unknown> | null = null;
    a.events.onLost = () => (again = a.presence.add('r', member('a1')));
    expect(await addMember(a, 'broken', member('a1'))).toEqual({
      members: [member('a1')],
      version: 0,
      partial: true,
    });
    expect(a.presence.needsResync).toBe(true);
    await eventuallyAsync(() => a.events.lostCount === 1, WAIT_MS, 'the resync');
    expect(a.presence.needsResync).toBe(false);
    // Its own records were cleared first (the server ignores removals of members it still has).
    expect(a.events.removals).toEqual([{ room: 'r', id: 'a1', version: 2 }]);
    await again;
    expect(await a.presence.snapshot('r')).toEqual({
      members: [member('a1')],
      version: 3,
      partial: false,
    });
    await heartbeats(a.store, 3);
    expect(a.events.lostCount).toBe(1);
    expect(
      harness.logger.lines.some((line) => line.message.includes('recording presence failed')),
    ).toBe(true);
  });

  it('after Redis restarted empty, logged offsets go on from the clock, above the last one the nodes saw', async () => {
    const prefix = harness.prefix('offsets');
    const options = { windowMs: 10_000, maxMessages: 100 };
    const a = await harness.recovering(prefix, 'A', options, quickReconnect);
    const b = await harness.recovering(prefix, 'B', options, quickReconnect);
    const base = a.log.head();
    await sequenceAll(a.store, a.node, [say('1'), say('2'), say('3')]);
    await eventuallyAsync(() => b.node.delivered.length === 3, WAIT_MS, '1 to 3 on B');
    await a.log.suspend(session('before', ['r']));

    const down = Date.now();
    await redis.kill();
    await eventuallyAsync(
      () => !a.store.stats.connected && !b.store.stats.connected,
      WAIT_MS,
      'both stores to notice the outage',
    );
    expect(a.store.sequence(say('unlogged'))).toBe(false);
    await redis.restart();
    await eventuallyAsync(
      () => a.store.stats.connected && b.store.stats.connected,
      WAIT_MS,
      'both stores back',
    );
    // Connected clients passed base + 3: the counter, created again from the clock, is far above it
    // (a thousand offsets per millisecond since the first start), and both stores went on from it.
    const seed = Number(await admin.get(`${prefix}:log-offset`));
    expectClockSeed(seed, down, Date.now());
    expect(seed).toBeGreaterThan(base + 3);
    expect([a.log.head(), b.log.head()]).toEqual([seed, seed]);
    // Nothing was in the lost log after base + 3, but a store cannot tell: one hole each, not one
    // per skipped offset; nothing delivered late.
    for (const { store } of [a, b]) {
      expect([store.stats.logGaps, store.stats.logCaughtUp]).toEqual([1, 0]);
    }
    await sequenceAll(b.store, b.node, [say('4')]);
    await eventuallyAsync(() => a.node.delivered.length === 4, WAIT_MS, '4 on A');
    expect(a.node.log()).toEqual([
      `${base + 1}:1`,
      `${base + 2}:2`,
      `${base + 3}:3`,
      `${seed + 1}:4`,
    ]);
    expect(b.node.log()).toEqual(a.node.log());
    expect(Number.isSafeInteger(seed + 1)).toBe(true);
    expect([a.log.head(), b.log.head()]).toEqual([seed + 1, seed + 1]);
    // The sessions went with the data.
    expect(await a.log.take('before', base + 3, 'alice', Date.now())).toEqual({
      ok: false,
      reason: 'unknown-session',
    });
    // A client at base + 3 cannot resume: the log that would prove it missed nothing is gone.
    await a.log.suspend(session('old-offset', ['r']));
    expect(await a.log.take('old-offset', base + 3, 'alice', Date.now())).toEqual({
      ok: false,
      reason: 'history-gone',
    });
    // One that connected after the restart can.
    await a.log.suspend(session('new-offset', ['r']));
    expect(await a.log.take('new-offset', seed, 'alice', Date.now())).toMatchObject({ ok: true });
  });
});

/**
 * Races that the stores once lost (each test states what used to go wrong): a node forgetting
 * itself or being forgotten by a stale look, broadcasts numbered out of order while Redis did not
 * know the script, and offsets handed out again after Redis restarted empty. They restart Redis, so
 * they have their own redis-server.
 */
describe('Redis store: races around forgetting nodes and numbering broadcasts', () => {
  let redis: RedisServer;
  let admin: Redis;
  const harness = new Harness(() => redis);
  const options = { windowMs: 10_000, maxMessages: 100 };
  /** Reconnect attempts every 50 ms, so the tests do not wait for ioredis' backoff. */
  const quickReconnect = { redisOptions: { retryStrategy: () => 50 } };
  /** Is SEQUENCE_BROADCAST in Redis' script cache? */
  const numberingScriptLoaded = async () =>
    (await admin.script('EXISTS', scriptOf(SEQUENCE_BROADCAST).sha)) as number[];

  beforeAll(async () => {
    redis = await startRedisServer();
    admin = new Redis(redis.url, { retryStrategy: () => 50 });
    admin.on('error', () => undefined);
  });

  afterEach(async () => {
    await harness.closeAll();
  });

  afterAll(async () => {
    admin?.disconnect();
    await redis?.kill();
  });

  it('a node that records its members again after being forgotten stays in the node set', async () => {
    const prefix = harness.prefix('resync-set');
    const a = await harness.present(prefix, 'A');
    const b = await harness.present(prefix, 'B');
    await a.presence.add('r', member('a1'));
    stopHeartbeat(a.store); // A's heartbeats now run when the test says
    let again: Promise<unknown> | null = null;
    a.events.onLost = () => (again = a.presence.add('r', member('a1')));
    // A was frozen past its TTL: its key expired (B may already have removed a1 for it).
    await admin.del(`${prefix}:node:A`);
    await beat(a.store); // finds its key gone: resync, lost(), a1 recorded again
    expect(a.events.lostCount).toBe(1);
    await again;
    expect(await admin.exists(`${prefix}:node:A`)).toBe(1);
    expect(await admin.hexists(`${prefix}:presence:r`, 'a1')).toBe(1);
    // The heartbeat added A to the node set; the resync's FORGET_NODE (run for A itself, `self`)
    // used to remove it again, so that until A's next heartbeat the other nodes did not count A as
    // live: their presence lists left out A's members and their queries did not wait for A.
    expect(await admin.sismember(`${prefix}:nodes`, 'A')).toBe(1);
    expect(ids((await b.presence.snapshot('r')).members)).toEqual(['a1']);
    expect(await b.store.liveNodes()).toContain('A');
  });

  it('a look that found a node dead does not remove the members it recorded again meanwhile', async () => {
    const prefix = harness.prefix('stale-forget');
    const a = await harness.present(prefix, 'A');
    const b = await harness.present(prefix, 'B');
    await a.presence.add('r', member('a1'));
    stopHeartbeat(a.store);
    stopHeartbeat(b.store);
    let again: Promise<unknown> | null = null;
    a.events.onLost = () => (again = a.presence.add('r', member('a1')));
    await admin.del(`${prefix}:node:A`); // A frozen past its TTL
    // B's FORGET_NODE runs, observed so that the test can wait for them.
    const forgets: Promise<boolean>[] = [];
    const calls: string[] = [];
    const forget = b.presence.forgetNode.bind(b.presence);
    b.presence.forgetNode = (nodeId, mode) => {
      calls.push(`${nodeId}/${mode}`);
      const done = forget(nodeId, mode);
      forgets.push(done);
      return done;
    };
    // B looks for dead nodes; between its MGET (A's key missing) and its FORGET_NODE, A thaws:
    // it registers, finds itself forgotten, and records a1 again.
    const { pub } = connectionsOf(b.store);
    const mget = pub.mget.bind(pub);
    pub.mget = (async (...args: Parameters<typeof mget>) => {
      const beats = await mget(...args);
      await beat(a.store);
      await again;
      return beats;
    }) as typeof pub.mget;
    try {
      expect(await b.store.liveNodes()).not.toContain('A'); // the stale look
    } finally {
      pub.mget = mget;
    }
    expect(calls).toEqual(['A/dead']);
    expect(await Promise.all(forgets)).toEqual([true]);
    expect(a.events.lostCount).toBe(1);
    // FORGET_NODE (`dead`) found A's heartbeat key back and did nothing. It used to remove the
    // record A had just written (B announcing a1 as gone while a1 is connected) and to drop A from
    // the node set.
    expect(b.events.removals).toEqual([]);
    expect(await admin.hexists(`${prefix}:presence:r`, 'a1')).toBe(1);
    expect(await admin.sismember(`${prefix}:nodes`, 'A')).toBe(1);
    // A's next heartbeats find their key: nothing makes A record a1 again, and it stays listed.
    await beat(a.store);
    await beat(a.store);
    expect(a.events.lostCount).toBe(1);
    expect(ids((await b.presence.snapshot('r')).members)).toEqual(['a1']);
    expect(b.events.removals).toEqual([]);
  });

  it("numbers one node's broadcasts in call order after a Redis restart, and refuses them while disconnected", async () => {
    const prefix = harness.prefix('noscript');
    const { store, log, node } = await harness.recovering(prefix, 'A', options, quickReconnect);
    await sequenceAll(store, node, [say('before')]);
    await redis.kill();
    await eventuallyAsync(() => !store.stats.connected, WAIT_MS, 'the store to notice the outage');
    const logged = store.stats.logged;
    // Refused, not queued: the server delivers it locally, unlogged.
    expect(store.sequence(say('while down'))).toBe(false);
    expect(store.stats.logged).toBe(logged);
    await redis.restart(); // empty: no keys, no scripts
    await eventuallyAsync(() => store.stats.connected, WAIT_MS, 'the store back');
    // Loaded again on reconnection, before any broadcast was numbered.
    expect(await numberingScriptLoaded()).toEqual([1]);
    const head = log.head();

    /** Blocks this process: Redis answers meanwhile, the answers wait in the socket. */
    const busy = (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until);
    };
    const other = encodeLoggedParts('other', say('other'));
    const [offsetKey, logKey, loggedKey] = [
      `${prefix}:log-offset`,
      `${prefix}:log`,
      `${prefix}:logged`,
    ];
    expect(store.sequence(say('first'))).toBe(true); // EVALSHA, its answer not read yet
    busy(150);
    // Another node numbers a broadcast with EVAL meanwhile (as one whose EVALSHA found no script
    // does), which loads the script if Redis did not have it.
    void admin.eval(
      scriptOf(SEQUENCE_BROADCAST).lua,
      3,
      offsetKey,
      logKey,
      loggedKey,
      other.head,
      other.body,
      options.maxMessages,
      Date.now(),
      options.windowMs,
    );
    busy(150);
    expect(store.sequence(say('second'))).toBe(true);
    busy(150);
    await eventuallyAsync(() => node.delivered.length === 4, WAIT_MS, 'all three delivered');
    // Had 'first' found no script, its EVAL fallback (sent once the NOSCRIPT answer is read) would
    // have come after 'second': this node's broadcasts numbered, and delivered everywhere, out of
    // order.
    expect(node.log().slice(1)).toEqual([
      `${head + 1}:first`,
      `${head + 2}:other`,
      `${head + 3}:second`,
    ]);
    expect(await admin.get(offsetKey)).toBe(String(head + 3));
  });

  it('a node started while Redis restarts empty does not hand out offsets the running nodes passed', async () => {
    const prefix = harness.prefix('fresh-node');
    // A reaches Redis through a proxy, so that the test decides when A gets back.
    const proxy = await startSwitchingProxy(redis.port);
    try {
      const a = await harness.recovering(prefix, 'A', options, {
        ...quickReconnect,
        url: `redis://127.0.0.1:${proxy.port}`,
      });
      const base = a.log.head();
      await sequenceAll(a.store, a.node, [say('1'), say('2'), say('3')]);
      proxy.target = await freePort(); // nothing listens there: A's attempts fail
      const restarted = Date.now();
      await redis.restart(); // kill, then start empty
      await eventuallyAsync(() => !a.store.stats.connected, WAIT_MS, 'A to notice the outage');

      // C starts on the empty Redis while A is away.
      const c = await harness.recovering(prefix, 'C', options);
      // It loaded the numbering script at start, before numbering anything.
      expect(await numberingScriptLoaded()).toEqual([1]);
      // The counter, created again from the clock, is far above what A (and its clients) passed.
      const seed = c.log.head();
      expectClockSeed(seed, restarted, Date.now());
      expect(seed).toBeGreaterThan(base + 3);
      await sequenceAll(c.store, c.node, [say('c1')]);
      expect(a.store.stats.connected).toBe(false); // A missed c1 live
      expect(a.node.delivered).toHaveLength(3);

      proxy.target = redis.port;
      await eventuallyAsync(() => a.store.stats.connected, WAIT_MS, 'A back');
      // Caught up from the log when it came back: c1 is above what A saw (it used to take offset 1,
      // which A dropped as already seen).
      expect(a.node.log()).toEqual([
        `${base + 1}:1`,
        `${base + 2}:2`,
        `${base + 3}:3`,
        `${seed + 1}:c1`,
      ]);
      await sequenceAll(c.store, c.node, [say('c2')]);
      await eventuallyAsync(() => a.node.delivered.length === 5, WAIT_MS, 'c2 on A');
      expect(a.node.log().slice(3)).toEqual([`${seed + 1}:c1`, `${seed + 2}:c2`]);
      expect(c.node.log()).toEqual(a.node.log().slice(3));
      expect([a.log.head(), c.log.head()]).toEqual([seed + 2, seed + 2]);
      // c1 delivered late; the jump from base + 3 to the seed is one hole.
      expect([a.store.stats.logCaughtUp, a.store.stats.logGaps]).toEqual([1, 1]);
    } finally {
      await harness.closeAll();
      await proxy.close();
    }
  });
});
