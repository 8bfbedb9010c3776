import { randomBytes } from 'node:crypto';
import type { RedisClient, RedisConnectionOptions, RedisTransaction } from './redis-client';
import type { RedisKeys } from './redis-keys';
import { keySlot } from './cluster-slot';
import { decodeEnvelope, encodeEnvelope, MAX_ENVELOPE_NUMBER } from './sharded-envelope';
import { ShardedOrder } from './sharded-order';

/**
 * The part of an ioredis 5 `Cluster` (created with `shardedSubscribers: true`) that the store
 * touches, declared structurally like {@link RedisClient}: no declaration of ws-rooms imports ioredis.
 */
export interface ClusterConnection extends Pick<
  RedisClient,
  | 'status'
  | 'connect'
  | 'disconnect'
  | 'on'
  | 'once'
  | 'off'
  | 'get'
  | 'set'
  | 'mget'
  | 'smembers'
  | 'xrangeBuffer'
  | 'evalsha'
  | 'eval'
> {
  /** Slot → node keys (`host:port`), the master first; empty entries for uncovered slots. */
  readonly slots: readonly (readonly string[] | undefined)[];
  multi(): RedisTransaction;
  /** The connections to the masters (to load a script on every one). */
  nodes(role: 'master'): Pick<RedisClient, 'script'>[];
  spublish(channel: string, message: Buffer): Promise<number>;
  ssubscribe(...channels: string[]): Promise<unknown>;
  sunsubscribe(...channels: string[]): Promise<unknown>;
}

/** A seed node of a cluster. */
export interface ClusterNodeAddress {
  readonly host: string;
  readonly port: number;
}

/** ioredis' `Cluster` constructor, as the store calls it. */
export type ClusterConstructor = new (
  nodes: ClusterNodeAddress[],
  options: {
    redisOptions: RedisConnectionOptions;
    lazyConnect: boolean;
    enableOfflineQueue: boolean;
    shardedSubscribers: boolean;
  },
) => ClusterConnection;

/** What the sharded client reports to the store. */
export interface ShardedClientPorts {
  /** A node-wide broadcast delivered without all its fences, or released early (bound). */
  fenceTimedOut(): void;
  /** A received message that is not an envelope (counted with the malformed ones). */
  malformed(): void;
  /** A recurring failure, for the store's rate-limited log. */
  failure(kind: string, message: string): void;
}

/** How many `all:<k>` names are tried to find one per master (a handful suffices for any layout). */
const MAX_TAG_SEARCH = 65_536;

/**
 * The store's connection to a Redis Cluster, seen as the {@link RedisClient} the other parts use:
 * publishing becomes `SPUBLISH` (each message in an envelope, `sharded-envelope.ts`), subscribing
 * `SSUBSCRIBE` grouped by slot (a command may not mix slots), and received messages come out as
 * `messageBuffer` events, in each origin's order (`sharded-order.ts`). Keys, scripts and
 * transactions go to the cluster as they are: the key layout (`RedisKeys` with `cluster` on) keeps
 * what one command touches in one slot.
 *
 * The node-wide channel (`keys.all`) is not one channel: a node-wide broadcast goes with its body to
 * one shard channel `keys.allShard(k)` (in turn, to spread the load) and as a fence to the shard
 * channel of every other master, and every node subscribes to all of them. A broadcast to one room
 * or one connection is one `SPUBLISH` on the shard that holds its channel, and reaches only the
 * nodes subscribed there.
 *
 * Recovery's log is one slot (`{log}`): its script publishes logged broadcasts with `SPUBLISH` on
 * `keys.logged`, without an envelope, and they are handed on as they come (one channel, one order).
 *
 * One object serves as both the publisher and the subscriber connection (`duplicate()` returns
 * it): ioredis keeps one command connection and one subscriber connection per master.
 */
export class ShardedClient implements RedisClient {
  private readonly epoch = randomBytes(6).readUIntBE(0, 6);
  private sequence = 0;
  private turn = 0;
  private shardChannels: string[] | null = null;
  /** True while `keys.all` is subscribed: a new layout then needs its new shard channels too. */
  private allWanted = false;
  private readonly listeners = new Set<(channel: Buffer, message: Buffer) => void>();
  private readonly order: ShardedOrder;
  private readonly unorderedPrefix: string;
  private readonly loggedChannel: Buffer;

  constructor(
    /** The ioredis cluster (created with `shardedSubscribers: true`). */
    readonly cluster: ClusterConnection,
    private readonly keys: RedisKeys,
    fenceTimeoutMs: number,
    /** Bytes of messages held for the order across shards, all origins together. */
    maxHeldBytes: number,
    private readonly ports: ShardedClientPorts,
  ) {
    // Answers need no order: `<keyPrefix>:{res:` starts every reply channel.
    this.unorderedPrefix = keys.replies('').slice(0, -1);
    this.loggedChannel = Buffer.from(keys.logged);
    this.order = new ShardedOrder(
      { fenceTimeoutMs, maxHeld: 10_000, maxHeldBytes, maxOrigins: 4096 },
      {
        deliver: (channel, body) => this.emit(channel, body),
        timedOut: () => {
          ports.fenceTimedOut();
          ports.failure('fence', 'a node-wide broadcast was delivered without all its fences');
        },
        late: () =>
          ports.failure(
            'fence',
            'a node-wide broadcast came after its fences timed out: delivered late',
          ),
        dropped: (reason) => {
          // A late fence, or a body missing at release, follow a timeout already counted.
          if (reason === 'overflow') ports.fenceTimedOut();
          ports.failure(
            'fence',
            `a node-wide broadcast or fence was dropped or released early (${reason})`,
          );
        },
      },
    );
    cluster.on('smessageBuffer', this.onMessage as (...args: unknown[]) => void);
    cluster.on('refresh', this.onRefresh);
  }

  /** Origins whose messages are held right now, waiting for the fences of a node-wide broadcast. */
  get holding(): number {
    return this.order.holding;
  }

  get status(): string {
    return this.cluster.status;
  }

  /** The same object: ioredis already keeps the subscriber connections apart (one per master). */
  duplicate(): RedisClient {
    return this;
  }

  connect(): Promise<void> {
    return this.cluster.connect();
  }

  disconnect(): void {
    this.order.clear();
    this.cluster.off('smessageBuffer', this.onMessage as (...args: unknown[]) => void);
    this.cluster.off('refresh', this.onRefresh);
    this.cluster.disconnect();
  }

  on(event: string, listener: (...args: never[]) => void): unknown {
    if (event === 'messageBuffer') {
      this.listeners.add(listener as (channel: Buffer, message: Buffer) => void);
      return this;
    }
    return this.cluster.on(event, listener as (...args: unknown[]) => void);
  }

  once(event: string, listener: (...args: unknown[]) => void): unknown {
    return this.cluster.once(event, listener);
  }

  off(event: string, listener: (...args: never[]) => void): unknown {
    if (event === 'messageBuffer') {
      this.listeners.delete(listener as (channel: Buffer, message: Buffer) => void);
      return this;
    }
    return this.cluster.off(event, listener as (...args: unknown[]) => void);
  }

  /**
   * `SPUBLISH` in an envelope. For `keys.all`: the body to one shard channel and a fence to every
   * other (resolves with the receivers of the body). Resolves with the receivers on that shard.
   */
  publish(channel: string, message: string | Buffer): Promise<number> {
    const body = typeof message === 'string' ? Buffer.from(message) : message;
    const sequence = this.nextSequence();
    if (channel !== this.keys.all) {
      const ordered = channel !== this.keys.requests && !channel.startsWith(this.unorderedPrefix);
      const data = encodeEnvelope({
        ordered,
        fence: false,
        copies: 1,
        epoch: this.epoch,
        sequence,
        body,
      });
      return this.cluster.spublish(channel, data);
    }
    const shards = this.shards();
    const copies = shards.length;
    const chosen = this.turn++ % copies;
    let sent: Promise<number> = Promise.resolve(0);
    shards.forEach((shard, index) => {
      const fence = copies > 1 && index !== chosen;
      const data = encodeEnvelope({
        ordered: true,
        fence,
        copies,
        epoch: this.epoch,
        sequence,
        body: fence ? Buffer.alloc(0) : body,
      });
      const published = this.cluster.spublish(shard, data);
      if (fence) {
        published.catch((error: unknown) =>
          this.ports.failure('fence', `publishing a fence failed: ${String(error)}`),
        );
      } else {
        sent = published;
      }
    });
    return sent;
  }

  /** `SSUBSCRIBE`, one command per slot; `keys.all` stands for every shard channel. */
  subscribe(...channels: string[]): Promise<unknown> {
    if (channels.includes(this.keys.all)) this.allWanted = true;
    return this.perSlot(channels, (group) => this.cluster.ssubscribe(...group));
  }

  /** `SUNSUBSCRIBE`, one command per slot. */
  unsubscribe(...channels: string[]): Promise<unknown> {
    if (channels.includes(this.keys.all)) this.allWanted = false;
    return this.perSlot(channels, (group) => this.cluster.sunsubscribe(...group));
  }

  multi(): RedisTransaction {
    return this.cluster.multi();
  }

  get(key: string): Promise<string | null> {
    return this.cluster.get(key);
  }

  set(key: string, value: string, token: 'PX', milliseconds: number): Promise<unknown> {
    return this.cluster.set(key, value, token, milliseconds);
  }

  mget(keys: string[]): Promise<(string | null)[]> {
    return this.cluster.mget(keys);
  }

  smembers(key: string): Promise<string[]> {
    return this.cluster.smembers(key);
  }

  xrangeBuffer(key: string, start: string, end: string): Promise<[Buffer, Buffer[]][]> {
    return this.cluster.xrangeBuffer(key, start, end);
  }

  /** Loads a script on every master: `EVALSHA` runs wherever its keys are. */
  script(subcommand: 'LOAD', script: string): Promise<unknown> {
    return Promise.all(this.cluster.nodes('master').map((node) => node.script(subcommand, script)));
  }

  evalsha(sha1: string, count: number, ...rest: (string | Buffer | number)[]): Promise<unknown> {
    return this.cluster.evalsha(sha1, count, ...rest);
  }

  eval(script: string, count: number, ...rest: (string | Buffer | number)[]): Promise<unknown> {
    return this.cluster.eval(script, count, ...rest);
  }

  /**
   * The shard channels of node-wide broadcasts: for each master, in the order of the slots it
   * serves, the first `keys.allShard(k)` whose slot it serves. Every node computes the same list from
   * the same layout; read once the cluster is ready, and again if it was not.
   */
  shards(): string[] {
    if (this.shardChannels !== null && this.shardChannels.length > 0) return this.shardChannels;
    this.shardChannels = shardChannelsOf(this.cluster.slots, (k) => this.keys.allShard(k));
    // Before the layout is known, the node-wide channel is the one shard channel of tag 0.
    return this.shardChannels.length > 0 ? this.shardChannels : [this.keys.allShard(0)];
  }

  private nextSequence(): number {
    this.sequence = this.sequence >= MAX_ENVELOPE_NUMBER ? 1 : this.sequence + 1;
    return this.sequence;
  }

  private perSlot(
    channels: string[],
    send: (group: string[]) => Promise<unknown>,
  ): Promise<unknown> {
    const groups = new Map<number, string[]>();
    for (const channel of channels) {
      for (const name of channel === this.keys.all ? this.shards() : [channel]) {
        const slot = keySlot(name);
        const group = groups.get(slot);
        if (group === undefined) groups.set(slot, [name]);
        else group.push(name);
      }
    }
    return Promise.all([...groups.values()].map(send));
  }

  /**
   * ioredis read the layout again: when slots moved to another master (resharding, a new master),
   * the shard channels of node-wide broadcasts follow, and the new ones are subscribed (the old
   * ones stay: they are still channels, and other nodes may still use them until they refresh).
   */
  private readonly onRefresh = (): void => {
    const next = shardChannelsOf(this.cluster.slots, (k) => this.keys.allShard(k));
    const current = this.shardChannels ?? [];
    if (next.length === 0 || next.join('\n') === current.join('\n')) return;
    this.shardChannels = next;
    const added = next.filter((channel) => !current.includes(channel));
    if (!this.allWanted || added.length === 0) return;
    this.perSlot(added, (group) => this.cluster.ssubscribe(...group)).catch((error: unknown) =>
      this.ports.failure('subscribe', `subscribing to new shard channels failed: ${String(error)}`),
    );
  };

  private readonly onMessage = (channel: Buffer, data: Buffer): void => {
    // Logged broadcasts (recovery) come from the log's script, in the log's one order: no envelope.
    if (channel.equals(this.loggedChannel)) return this.emit(channel, data);
    const envelope = decodeEnvelope(data);
    if (envelope === null) return this.ports.malformed();
    if (envelope.epoch === this.epoch) {
      // This node's own echo: the store drops it by its header; fences have nothing to drop.
      if (!envelope.fence) this.emit(channel, envelope.body);
      return;
    }
    this.order.receive(channel, envelope);
  };

  private emit(channel: Buffer, body: Buffer): void {
    for (const listener of this.listeners) listener(channel, body);
  }
}

/** See {@link ShardedClient.shards}. Exported for its spec. */
export function shardChannelsOf(
  slots: readonly (readonly string[] | undefined)[],
  channel: (k: number) => string,
): string[] {
  const masterOf = new Map<number, string>();
  const masters: string[] = [];
  slots.forEach((nodes, slot) => {
    const master = nodes?.[0];
    if (master === undefined) return;
    masterOf.set(slot, master);
    if (!masters.includes(master)) masters.push(master);
  });
  const found = new Map<string, string>();
  for (let k = 0; k < MAX_TAG_SEARCH && found.size < masters.length; k++) {
    const name = channel(k);
    const master = masterOf.get(keySlot(name));
    if (master !== undefined && !found.has(master)) found.set(master, name);
  }
  return masters.map((master) => found.get(master)).filter((name) => name !== undefined);
}
