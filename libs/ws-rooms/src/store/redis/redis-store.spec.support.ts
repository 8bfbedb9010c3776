/*
 * Test doubles for the unit specs of the Redis store's parts: a context, a Redis client that
 * records what it is asked, and a node. Not part of the package (excluded as `*.spec.*`); free of
 * jest so that it type-checks with the library.
 */
import type { Scheduler } from '../../util/scheduler';
import { RoomIndex } from '../room-index';
import type { LocalNode, OutboundBroadcast, RemoteCommand } from '../room-store.interface';
import type { RedisClient, RedisTransaction } from './redis-client';
import { RedisKeys } from './redis-keys';
import { createRedisStoreStats } from './redis-room-store-stats';
import type { RedisStoreContext } from './redis-store-context';
import { type RedisRoomStoreOptions, resolveRedisStoreOptions } from './redis-store-options';
import { DEFAULT_WIRE_LIMITS } from './redis-wire-limits';

/** A clock the test moves by hand; `every` records its ticks instead of running them. */
export class ManualScheduler implements Scheduler {
  time = 1_000;
  readonly ticks: (() => void)[] = [];
  now = () => this.time;
  wallNow = () => 1_700_000_000_000 + this.time;
  every = (_milliseconds: number, tick: () => void) => {
    this.ticks.push(tick);
    return { cancel: () => this.ticks.splice(this.ticks.indexOf(tick), 1) };
  };
}

/** A Redis client that answers from what the test put in it and records what it was asked. */
export class FakeRedisClient implements RedisClient {
  status = 'ready';
  readonly published: { channel: string; data: Buffer }[] = [];
  /** How many subscribers `PUBLISH` reports, by channel (default 1). */
  readonly receivers = new Map<string, number>();
  /** Publishes that never settle, like a Redis that accepts and does not answer. */
  frozen = false;
  readonly strings = new Map<string, string>();
  readonly sets = new Map<string, Set<string>>();
  readonly evals: { sha1: string; args: (string | Buffer | number)[] }[] = [];
  failScripts = false;

  duplicate(): RedisClient {
    return new FakeRedisClient();
  }
  async connect(): Promise<void> {}
  disconnect(): void {
    this.status = 'end';
  }
  on(): unknown {
    return this;
  }
  once(): unknown {
    return this;
  }
  off(): unknown {
    return this;
  }
  publish(channel: string, message: string | Buffer): Promise<number> {
    this.published.push({ channel, data: Buffer.from(message) });
    if (this.frozen) return new Promise<number>(() => undefined);
    return Promise.resolve(this.receivers.get(channel) ?? 1);
  }
  async subscribe(): Promise<unknown> {
    return 'OK';
  }
  async unsubscribe(): Promise<unknown> {
    return 'OK';
  }
  multi(): RedisTransaction {
    const steps: (() => unknown)[] = [];
    const transaction: RedisTransaction = {
      set: (key, value) => {
        steps.push(() => {
          const previous = this.strings.get(key) ?? null;
          this.strings.set(key, value);
          return previous;
        });
        return transaction;
      },
      sadd: (key, member) => {
        steps.push(() => this.setOf(key).add(member));
        return transaction;
      },
      del: (key) => {
        steps.push(() => this.strings.delete(key));
        return transaction;
      },
      srem: (key, member) => {
        steps.push(() => this.setOf(key).delete(member));
        return transaction;
      },
      exec: async () => steps.map((step) => [null, step()] as [Error | null, unknown]),
    };
    return transaction;
  }
  async get(key: string): Promise<string | null> {
    return this.strings.get(key) ?? null;
  }
  async set(key: string, value: string): Promise<unknown> {
    this.strings.set(key, value);
    return 'OK';
  }
  async mget(keys: string[]): Promise<(string | null)[]> {
    return keys.map((key) => this.strings.get(key) ?? null);
  }
  async smembers(key: string): Promise<string[]> {
    return [...this.setOf(key)];
  }
  async xrangeBuffer(): Promise<[Buffer, Buffer[]][]> {
    return [];
  }
  async script(): Promise<unknown> {
    if (this.failScripts) throw new Error('NOPERM this user has no permissions to run SCRIPT');
    return 'sha';
  }
  async evalsha(sha1: string, _keys: number, ...args: (string | Buffer | number)[]) {
    this.evals.push({ sha1, args });
    if (this.failScripts) throw new Error('NOPERM');
    return 1;
  }
  async eval(): Promise<unknown> {
    throw new Error('not used by these tests');
  }

  /** The messages published on a channel. */
  publishedOn(channel: string): Buffer[] {
    return this.published.filter((entry) => entry.channel === channel).map((entry) => entry.data);
  }

  private setOf(key: string): Set<string> {
    let set = this.sets.get(key);
    if (set === undefined) this.sets.set(key, (set = new Set()));
    return set;
  }
}

/** A node without a server: an index, connection ids, and what it was asked to do. */
export class FakeNode implements LocalNode {
  readonly index = new RoomIndex();
  readonly ids = new Set<string>();
  readonly delivered: OutboundBroadcast[] = [];
  readonly ran: RemoteCommand[] = [];
  /** Names shaped like ids: here, those starting with `id-`. */
  isConnectionId = (name: string) => name.startsWith('id-');
  connectionIds = () => this.ids.values();
  hasConnection = (id: string) => this.ids.has(id);
  deliverLocally = (broadcast: OutboundBroadcast) => void this.delivered.push(broadcast);
  runLocally = (command: RemoteCommand): boolean | Promise<boolean> => {
    if (!this.ids.has(command.connectionId)) return false;
    this.ran.push(command);
    return true;
  };
  requestLocally = async () => ({
    replies: new Map<string, unknown>([['id-1', 'yes']]),
    errors: new Map<string, { code: string; message: string }>(),
    missing: ['id-2'],
    partial: false,
  });
}

/** A context over the fakes; every field can be replaced. */
export interface FakeContext extends RedisStoreContext {
  readonly client: () => FakeRedisClient | null;
  /** The failures reported, as `kind: message`. */
  readonly failures: string[];
  /** What was logged through the logger, as `level: message`. */
  readonly logged: string[];
  /** Set by the test: the store's state as the parts see it. */
  state: { running: boolean; connected: boolean; node: LocalNode | null; live: string[] };
  readonly fakeClient: FakeRedisClient;
  readonly manualScheduler: ManualScheduler;
}

/** A context for one part under test: prefix `t`, node id `me`, running and connected. */
export function fakeContext(
  options: Omit<RedisRoomStoreOptions, 'url' | 'client'> = {},
): FakeContext {
  const resolved = resolveRedisStoreOptions({
    url: 'redis://127.0.0.1:1',
    keyPrefix: 't',
    nodeId: 'me',
    ...options,
  });
  const fakeClient = new FakeRedisClient();
  const manualScheduler = new ManualScheduler();
  const failures: string[] = [];
  const logged: string[] = [];
  const state = { running: true, connected: true, node: null as LocalNode | null, live: ['me'] };
  const context: FakeContext = {
    nodeId: 'me',
    keys: new RedisKeys('t'),
    stats: createRedisStoreStats(),
    limits: { ...DEFAULT_WIRE_LIMITS, maxMessageBytes: resolved.maxMessageBytes },
    options: resolved,
    scheduler: manualScheduler,
    logger: {
      log: (message: string) => void logged.push(`log: ${message}`),
      warn: (message: string) => void logged.push(`warn: ${message}`),
      error: (message: string) => void logged.push(`error: ${message}`),
    },
    client: () => fakeClient,
    readyClient: () => (state.running && fakeClient.status === 'ready' ? fakeClient : null),
    node: () => state.node,
    running: () => state.running,
    connected: () => state.connected,
    liveNodes: async () => state.live,
    failure: (kind, message) => void failures.push(`${kind}: ${message}`),
    failures,
    logged,
    state,
    fakeClient,
    manualScheduler,
  };
  return context;
}
