import { hostname } from 'node:os';
import { Logger } from '@nestjs/common';
import { describeError } from '../../server/describe-error';
import { type Scheduler, systemScheduler } from '../../server/heartbeat';
import type { PresenceStore } from '../presence-store.interface';
import type { RecoveryStore } from '../recovery-store.interface';
import type { BroadcastRequestResult } from '../../interfaces/broadcast-operator.interface';
import type { EmitValue } from '../../protocol/message-codec';
import type {
  ClusterQueryResult,
  LocalNode,
  OutboundBroadcast,
  OutboundRequest,
  RecoveryStoreOptions,
  RemoteCommand,
  RoomStore,
} from '../room-store.interface';
import { ChannelSubscriptions } from './channel-subscriptions';
import { loadIoredis, type RedisConstructor } from './load-ioredis';
import type { RedisClient } from './redis-client';
import { RedisKeys } from './redis-keys';
import { RedisRoomStoreError, RedisRoomStoreErrorCode } from './redis-room-store.error';
import { createRedisStoreStats, type RedisRoomStoreStats } from './redis-room-store-stats';
import {
  type RedisRoomStoreOptions,
  type ResolvedRedisRoomStoreOptions,
  resolveRedisStoreOptions,
} from './redis-store-options';
import {
  broadcastBeyondLimits,
  decodeWire,
  encodeBroadcast,
  encodeCommand,
  encodeLoggedParts,
  encodeReply,
  encodeRequest,
  fromWireValue,
  toWireValue,
  type WireMessage,
  type WireQuery,
  type WireReplyBody,
  WireErrorCode,
  WireKind,
} from './redis-wire';
import { DEFAULT_WIRE_LIMITS, type WireLimits } from './redis-wire-limits';
import { ReplyCollector } from './reply-collector';
import { forgetNode, RedisPresenceStore } from './redis-presence-store';
import { RedisRecoveryStore } from './redis-recovery-store';
import { PRELOADED_SCRIPTS, SEQUENCE_BROADCAST } from './redis-scripts';
import type { RedisStoreContext } from './redis-store-context';

type Logs = Pick<Required<RedisRoomStoreOptions>['logger'], 'log' | 'warn' | 'error'>;
type State = 'new' | 'starting' | 'running' | 'closed';

/** The bytes Redis adds to a logged broadcast: its offset (at most 16 digits), `-0` and `;`. */
const MAX_LOGGED_OFFSET_BYTES = 19;

/** At most one log line per kind of recurring failure in this period (the rest are counted). */
const FAILURE_LOG_PERIOD = 30_000;

/**
 * Rooms and broadcasts across several nodes over Redis pub/sub: `to(room)` reaches the members on
 * every node exactly once, `to(id)` reaches a connection wherever it lives, and the membership
 * queries aggregate every live node.
 *
 * ```ts
 * WsRoomsModule.forRoot({ endpoint: '/ws', store: new RedisRoomStore({ url: process.env.REDIS_URL }) })
 * ```
 *
 * ## Channels (all under the `prefix` option, default `ws-rooms`)
 * - `<prefix>:room:<name>`: broadcasts to exactly one room. A node subscribes when its first local
 *   member joins and unsubscribes when the last one leaves, so a busy room never wakes a node
 *   without members in it.
 * - `<prefix>:conn:<id>`: broadcasts to exactly one connection (`to(id)`), and the commands for it.
 *   Only the node holding it subscribes. Ids and rooms are disjoint namespaces
 *   (`LocalNode.isConnectionId` tells them apart): a room spelled like an id never shares its
 *   channel, so joining such a room does not let anyone read what is sent to the connection. Changes are batched per event-loop turn into one
 *   `SUBSCRIBE`/`UNSUBSCRIBE`; `join()` resolves once Redis confirmed the subscription, so a
 *   broadcast from another node right after it reaches the new member.
 * - `<prefix>:all`: broadcasts to every connection (`All`, `NotMe`) and to several rooms at once.
 *   A multi-room broadcast goes here, once, instead of once per room channel: a node with members
 *   in two of the rooms would otherwise get two copies and could not tell that a member of both
 *   already had the message. Every node evaluates the room list against its own index, which
 *   de-duplicates as the single-node server does. Multi-room broadcasts are rare; waking every
 *   node for them is the price of exactly-once without per-message bookkeeping.
 * - `<prefix>:req` and `<prefix>:res:<nodeId>`: queries, and answers to queries and commands.
 *
 * `to(id)` uses the connection's own channel rather than an owner lookup: no directory to keep in
 * Redis, no extra round trip before publishing, and the order of one node's broadcasts is kept.
 * The cost is one channel per connection on the subscriber connection (Redis keeps a dictionary
 * entry, ~100 bytes each).
 *
 * ## Messages
 * One subscriber connection per node (not per websocket connection), one publish per broadcast
 * whatever the number of nodes. The broadcast's `message` is already the encoded protocol
 * message; {@link encodeBroadcast} prefixes it with a small binary header (the origin's node id,
 * flags, rooms, excepts) in one allocation, and receivers frame those very bytes. A node drops its
 * own echo by the node id in the header; the origin delivered locally before publishing.
 *
 * ## Queries: request/response rather than membership sets in Redis
 * `members`, `rooms`, `roomsOf` and `connectionCount` publish one request on `<prefix>:req`; every
 * node answers from its local index on the asker's reply channel. Who must answer comes from the
 * heartbeat keys (below); the result is `partial: true` when a live node did not answer within
 * `requestTimeout` (default 1 s), or when Redis is unreachable (the local answer only).
 * Keeping sets in Redis instead would cost a write on every connect, join, leave and disconnect on
 * the hot path (a reconnect storm of 10 000 clients joining 2 rooms each is 30 000+ writes), a copy
 * of every membership in Redis memory, a resync after every Redis outage, and cleanup of a dead
 * node's entries. Queries are administrative and far rarer than membership changes: one publish
 * and N small replies per query is the cheaper side, and a dead node's state disappears by itself.
 * The trade-off: a query waits for the slowest live node, up to the timeout.
 *
 * ## Node heartbeat
 * Every `heartbeatInterval` (1 s) a node writes `<prefix>:node:<nodeId>` with a TTL of
 * `heartbeatTtl` (5 s), holding a small snapshot (`connections`, `rooms`, host, pid, start time),
 * and adds its id to the set `<prefix>:nodes`. A query expects answers from the ids whose key still
 * exists (and prunes the others from the set). A node that crashes, freezes or is cut off stops
 * refreshing: queries are `partial` while its key lives, and it disappears from them at most
 * `heartbeatTtl` after its last heartbeat. A node that shuts down gracefully deletes its key at once.
 *
 * ## Failures
 * - Redis unreachable at start-up: `start()` waits up to `connectTimeout` (5 s) and then fails with
 *   {@link RedisRoomStoreError} `WS_ROOMS_REDIS_UNAVAILABLE`, so the application does not boot. A
 *   node that started without Redis would serve its clients as an island while the deployment
 *   believes it is a cluster; a failed boot is visible and orchestrators retry it.
 * - Redis lost while running: local delivery goes on untouched (it never waits for Redis).
 *   Broadcasts for other nodes are dropped, not queued (a queue would grow without bound and
 *   replay stale messages), and counted in `stats.publishSkipped`; queries answer locally with
 *   `partial: true`; remote commands resolve false. The gap is logged once when it starts and once
 *   when it ends; ioredis reconnects, and the store then subscribes again to every channel and
 *   re-registers its heartbeat before `stats.connected` turns true.
 * - Redis accepting the connection but not answering (frozen, swapping): published bytes it has not
 *   acknowledged are bounded by `maxUnacknowledgedBytes` (16 MiB); beyond it broadcasts for other
 *   nodes are dropped and counted, so this process's memory does not grow with the outage.
 * - Nothing thrown inside a Redis event reaches ioredis or the process: every handler catches, and
 *   recurring failures are logged at most once per 30 s and counted.
 *
 * Not supported: Redis Cluster (the heartbeat lookup reads several keys at once; use a standalone
 * Redis or Sentinel). Node ids must be unique among live nodes (the default is random).
 */
export class RedisRoomStore implements RoomStore {
  /** This node's id in the cluster. */
  readonly nodeId: string;
  /** Counters and gauges, updated in place (see {@link RedisRoomStoreStats}). */
  readonly stats: RedisRoomStoreStats = createRedisStoreStats();
  private readonly options: ResolvedRedisRoomStoreOptions;
  private readonly keys: RedisKeys;
  private readonly limits: WireLimits;
  private readonly logger: Logs;
  private readonly scheduler: Scheduler;
  private readonly RedisClass: RedisConstructor | null;
  private readonly pending = new Map<number, ReplyCollector<WireReplyBody>>();
  private readonly lastFailureLog = new Map<string, number>();
  /** Removes the listeners this store put on the connections (one of them may be the caller's). */
  private readonly detach: (() => void)[] = [];
  private state: State = 'new';
  private node: LocalNode | null = null;
  private pub: RedisClient | null = null;
  private sub: RedisClient | null = null;
  private subscriptions: ChannelSubscriptions | null = null;
  private heartbeatTimer: { cancel(): void } | null = null;
  private nextRequestId = 1;
  private unacknowledgedBytes = 0;
  private localConnections = 0;
  private startedAt = 0;
  private gapStartedAt: number | null = null;
  private skippedAtGapStart = 0;
  private subNeedsResubscribe = false;
  private recovering = false;
  /** True once a heartbeat was written: a later one that finds no key means the cluster forgot us. */
  private registered = false;
  /** True once the scripts that number broadcasts are known to this Redis. */
  private scriptsLoaded = false;
  private presenceStore: RedisPresenceStore | null = null;
  private recoveryStore: RedisRecoveryStore | null = null;
  private recoveryOptions: RecoveryStoreOptions | null = null;
  /** What the presence and recovery parts share with this store. */
  private readonly context: RedisStoreContext;

  /**
   * Validates the options; opens nothing (connections open in `start()`, when the endpoint starts).
   * @throws WsRoomsError `WS_ROOMS_INVALID_OPTION` for invalid options
   * @throws RedisRoomStoreError `WS_ROOMS_REDIS_MISSING_DEPENDENCY` when `url` is given and
   * `ioredis` is not installed
   */
  constructor(options: RedisRoomStoreOptions) {
    this.options = resolveRedisStoreOptions(options);
    this.nodeId = this.options.nodeId;
    this.keys = new RedisKeys(this.options.prefix);
    this.limits = Object.freeze({
      ...DEFAULT_WIRE_LIMITS,
      maxMessageBytes: this.options.maxMessageBytes,
    });
    this.context = {
      nodeId: this.nodeId,
      keys: this.keys,
      stats: this.stats,
      limits: this.limits,
      readyClient: () =>
        this.state === 'running' && this.pub?.status === 'ready' ? this.pub : null,
      liveNodes: () => this.liveNodes(),
      failure: (kind, message) => this.failure(kind, message),
    };
    this.logger = options.logger ?? new Logger('WsRooms:redis');
    this.scheduler = options.scheduler ?? systemScheduler;
    this.RedisClass = this.options.url !== undefined ? loadIoredis() : null;
  }

  // ---- lifecycle ----

  /**
   * Connects (publisher and subscriber), subscribes to the node-wide channels and registers the
   * node's heartbeat. Waits at most `connectTimeout` for Redis.
   * @throws RedisRoomStoreError `WS_ROOMS_REDIS_UNAVAILABLE`, `WS_ROOMS_REDIS_INVALID_STATE`
   */
  async start(node: LocalNode): Promise<void> {
    if (this.state !== 'new') {
      throw new RedisRoomStoreError(
        RedisRoomStoreErrorCode.InvalidState,
        `ws-rooms: this RedisRoomStore was already started${this.state === 'closed' ? ' and closed' : ''}; ` +
          'give every endpoint its own store',
      );
    }
    this.state = 'starting';
    this.node = node;
    this.startedAt = this.wallNow();
    const { pub, sub } = this.createConnections();
    this.pub = pub;
    this.sub = sub;
    try {
      await this.waitUntilReady();
    } catch (error) {
      this.state = 'closed';
      this.pub = null;
      this.sub = null;
      this.release(pub, sub);
      throw error;
    }
    const subscriptions = new ChannelSubscriptions(sub, this.options.requestTimeout, (error) =>
      this.failure('subscribe', `subscription change failed: ${describeError(error)}`),
    );
    this.subscriptions = subscriptions;
    for (const channel of [this.keys.all, this.keys.requests, this.keys.replies(this.nodeId)]) {
      subscriptions.add(channel);
    }
    // Logged broadcasts reach every node in one order, hence one channel for all of them.
    if (this.recoveryStore !== null) subscriptions.add(this.keys.logged);
    for (const id of node.connectionIds()) {
      this.localConnections++;
      subscriptions.add(this.keys.connection(id));
    }
    for (const room of node.index.rooms()) subscriptions.add(this.keys.room(room));
    await subscriptions.settled();
    await this.loadScripts();
    // Registered only once subscribed: a node that queries see as live can receive their requests.
    await this.heartbeat();
    if (this.state !== 'starting') return; // closed meanwhile
    this.heartbeatTimer = this.scheduler.every(
      this.options.heartbeatInterval,
      () => void this.heartbeat(),
    );
    this.state = 'running';
    this.updateGauges();
  }

  /**
   * Leaves the cluster: deletes the heartbeat key (queries stop expecting this node at once),
   * closes the subscriber connection and the publisher if the store opened it (a `client` passed in
   * stays open), and resolves pending queries as partial.
   */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const { pub, sub } = this;
    this.heartbeatTimer?.cancel();
    this.heartbeatTimer = null;
    // Members whose leave did not reach Redis must not outlive this node (the others would show them
    // until the heartbeat expires). Done before the state changes: the presence store needs it running.
    if (this.presenceStore !== null && this.state === 'running') {
      await bounded(
        this.presenceStore.forgetNode(this.nodeId, 'self'),
        this.options.requestTimeout,
      ).catch(() => undefined);
    }
    // A concurrent close() finished meanwhile.
    if ((this.state as State) === 'closed') return;
    this.state = 'closed';
    for (const collector of [...this.pending.values()]) collector.abort();
    if (pub !== null && pub.status === 'ready') {
      const leave = pub
        .multi()
        .del(this.keys.node(this.nodeId))
        .srem(this.keys.nodes, this.nodeId)
        .exec();
      await bounded(leave, this.options.requestTimeout).catch(() => undefined);
    }
    if (pub !== null && sub !== null) this.release(pub, sub);
    this.stats.connected = false;
    this.node = null;
  }

  // ---- membership changes of local connections ----

  /**
   * Subscribes to the room's channel if this is its first local member. The promise resolves when
   * Redis confirmed it (bounded by `requestTimeout`): the server's `join()` awaits it, so a
   * broadcast another node sends once the join resolved reaches the new member.
   */
  joined(_connectionId: string, room: string): Promise<void> | void {
    if (this.subscriptions === null) return;
    const confirmed = this.subscriptions.add(this.keys.room(room));
    this.updateGauges();
    return confirmed;
  }

  /** Unsubscribes from the room's channel when its last local member left. */
  left(_connectionId: string, room: string): void {
    this.releaseRoomIfUnused(room);
  }

  /** Subscribes to the connection's own channel, so `to(id)` and commands from other nodes reach it. */
  connected(connectionId: string): Promise<void> | void {
    // Before the subscriptions exist, start() picks the connection up from the node.
    if (this.subscriptions === null) return;
    this.localConnections++;
    const confirmed = this.subscriptions.add(this.keys.connection(connectionId));
    this.updateGauges();
    return confirmed;
  }

  /** Releases the connection's channel and those of the rooms it was the last local member of. */
  disconnected(connectionId: string, rooms: readonly string[]): void {
    this.localConnections = Math.max(0, this.localConnections - 1);
    if (this.subscriptions !== null && this.node?.hasConnection(connectionId) !== true) {
      this.subscriptions.remove(this.keys.connection(connectionId));
      this.updateGauges();
    }
    for (const room of rooms) this.releaseRoomIfUnused(room);
  }

  // ---- presence and recovery ----

  /**
   * Presence records in Redis (see {@link RedisPresenceStore}), for the endpoint's `presence`
   * option: `presence(room)` lists the members of every live node, and the members of a node that
   * dies are removed (their rooms hear `left`) once its heartbeat expires.
   */
  createPresenceStore(): PresenceStore {
    this.presenceStore ??= new RedisPresenceStore(this.context);
    return this.presenceStore;
  }

  /**
   * A recovery log in Redis Streams (see {@link RedisRecoveryStore}), for the endpoint's `recovery`
   * option: a client may resume on any node. Every logged broadcast then goes through Redis, once,
   * and every node delivers it from there, in one cluster-wide order.
   */
  createRecoveryStore(options: RecoveryStoreOptions): RecoveryStore {
    if (this.state !== 'new') {
      throw new RedisRoomStoreError(
        RedisRoomStoreErrorCode.InvalidState,
        'ws-rooms: createRecoveryStore() must be called before the store starts',
      );
    }
    this.recoveryOptions = options;
    this.recoveryStore ??= new RedisRecoveryStore(
      this.context,
      options,
      this,
      (broadcast, offset) => this.node?.deliverLocally(broadcast, offset),
    );
    return this.recoveryStore;
  }

  /**
   * Numbers, logs and publishes a broadcast in one script; every node (this one included) delivers
   * it when it comes back on `<prefix>:logged`. False when Redis cannot take it now: the server then
   * delivers it locally, unlogged, as it would without recovery.
   */
  sequence(broadcast: OutboundBroadcast): boolean {
    const options = this.recoveryOptions;
    if (
      this.state !== 'running' ||
      options === null ||
      !this.scriptsLoaded ||
      !this.bothReady() ||
      this.gapStartedAt !== null
    ) {
      return false;
    }
    if (this.unacknowledgedBytes > this.options.maxUnacknowledgedBytes) return false;
    // Beyond a bound the others would drop it: publish() counts it when the server hands it over.
    if (broadcastBeyondLimits(broadcast, this.limits) !== null) return false;
    const { head, body } = encodeLoggedParts(this.nodeId, broadcast);
    if (head.length + body.length + MAX_LOGGED_OFFSET_BYTES > this.limits.maxMessageBytes) {
      return false;
    }
    this.stats.logged++;
    this.unacknowledgedBytes += body.length;
    SEQUENCE_BROADCAST.run(
      this.pub!,
      [this.keys.logOffset, this.keys.log, this.keys.logged],
      [head, body, options.maxMessages, this.wallNow(), options.windowMs],
    ).then(
      () => (this.unacknowledgedBytes -= body.length),
      (error: unknown) => {
        this.unacknowledgedBytes -= body.length;
        this.stats.logFailures++;
        this.failure('log', `logging a broadcast failed: ${describeError(error)}`);
        // This node's members still get it (unlogged); the other nodes cannot be reached now.
        this.node?.deliverLocally(broadcast);
      },
    );
    return true;
  }

  // ---- broadcasts and commands ----

  /**
   * Publishes once: to the connection's channel for one id, to the room's channel for one room, to
   * `<prefix>:all` otherwise.
   */
  publish(broadcast: OutboundBroadcast): void {
    if (this.state !== 'running' || (broadcast.rooms !== null && broadcast.rooms.length === 0)) {
      return;
    }
    const pub = this.pub!;
    if (pub.status !== 'ready') {
      this.stats.publishSkipped++;
      return;
    }
    if (this.unacknowledgedBytes > this.options.maxUnacknowledgedBytes) {
      // Redis accepts the connection but does not answer (frozen, swapping): do not pile up.
      this.stats.publishSkipped++;
      this.failure(
        'backlog',
        `Redis is not acknowledging publishes: dropping broadcasts for other nodes`,
      );
      return;
    }
    const channel =
      broadcast.rooms !== null && broadcast.rooms.length === 1
        ? this.targetChannel(broadcast.rooms[0])
        : this.keys.all;
    const beyond = broadcastBeyondLimits(broadcast, this.limits);
    const data = beyond === null ? encodeBroadcast(this.nodeId, broadcast) : null;
    if (data === null || data.length > this.limits.maxMessageBytes) {
      this.overLimits(beyond ?? `a broadcast of ${data!.length} bytes`);
      return;
    }
    this.stats.published++;
    this.unacknowledgedBytes += data.length;
    pub.publish(channel, data).then(
      () => (this.unacknowledgedBytes -= data.length),
      (error: unknown) => {
        this.unacknowledgedBytes -= data.length;
        this.stats.publishSkipped++;
        this.failure('publish', `publish failed: ${describeError(error)}`);
      },
    );
  }

  /**
   * Sends the command on the connection's own channel, which only its owner listens to. `PUBLISH` tells how many listen: with none, this resolves
   * false at once; otherwise when the owner answers that it ran it, when every listener answered
   * that it did not, or after `requestTimeout`.
   */
  async sendRemote(command: RemoteCommand): Promise<boolean> {
    if (this.state !== 'running' || this.pub!.status !== 'ready') return false;
    this.stats.commandsSent++;
    const channel = this.keys.connection(command.connectionId);
    const id = this.nextRequestId++;
    const data = encodeCommand(this.nodeId, id, command);
    if (data.length > this.limits.maxMessageBytes) {
      this.overLimits(`a ${command.kind} command of ${data.length} bytes`);
      return false;
    }
    const collector = this.collect(id, (reply) => reply.ran === true);
    try {
      const receivers = await this.pub!.publish(channel, data);
      collector.expectCount(receivers - (this.subscriptions!.has(channel) ? 1 : 0));
    } catch (error) {
      this.failure('command', `remote command failed: ${describeError(error)}`);
      collector.abort();
    }
    const { answers } = await collector.result;
    for (const reply of answers.values()) if (reply.ran === true) return true;
    return false;
  }

  // ---- queries ----

  /** Members of a room on every live node (a connection id gives that connection). */
  async members(room: string): Promise<ClusterQueryResult<string[]>> {
    const members = new Set(this.localMembers(room));
    return this.ask(
      { kind: 'members', room },
      (reply) => reply.list?.forEach((id) => members.add(id)),
      () => [...members],
    );
  }

  /** Non-empty rooms of every live node. */
  async rooms(): Promise<ClusterQueryResult<string[]>> {
    const rooms = new Set(this.requireNode().index.rooms());
    return this.ask(
      { kind: 'rooms' },
      (reply) => reply.list?.forEach((room) => rooms.add(room)),
      () => [...rooms],
    );
  }

  /** Rooms of a connection: answered locally when it is here, else by its owner (the wait ends with its answer). */
  async roomsOf(connectionId: string): Promise<ClusterQueryResult<string[]>> {
    const local = this.localRoomsOf(connectionId);
    if (local !== null) return { value: local, partial: false };
    let found: readonly string[] = [];
    return this.ask(
      { kind: 'roomsOf', connectionId },
      (reply) => {
        if (reply.list) found = reply.list;
      },
      () => [...found],
      // Only the owner knows: its answer completes the query whoever else is missing.
      (reply) => reply.list !== undefined && reply.list !== null,
    );
  }

  /**
   * `to(room).request()` beyond this node: one query to every node, each asks its own recipients
   * and reports; the wait is the request's timeout plus `requestTimeout` for the reports to travel.
   */
  async requestRemote(
    request: OutboundRequest,
  ): Promise<ClusterQueryResult<BroadcastRequestResult<unknown>>> {
    const replies = new Map<string, unknown>();
    const errors = new Map<string, { code: string; message: string }>();
    const missing: string[] = [];
    const { rooms, except, event, timeout } = request;
    const query: WireQuery = {
      kind: 'request',
      rooms,
      except,
      event,
      value: toWireValue(request.value),
      timeout,
    };
    const merge = (reply: WireReplyBody) => {
      if (reply.report === undefined) return;
      for (const [who, value] of reply.report.replies) replies.set(who, fromWireValue(value));
      for (const [who, error] of reply.report.errors) errors.set(who, error);
      missing.push(...reply.report.missing);
    };
    const result = await this.ask(
      query,
      merge,
      () => ({ replies, errors, missing, partial: false }),
      undefined,
      timeout + this.options.requestTimeout,
    );
    return { value: { ...result.value, partial: result.partial }, partial: result.partial };
  }

  /** Connections on every live node. */
  async connectionCount(): Promise<ClusterQueryResult<number>> {
    let count = this.localCount();
    return this.ask(
      { kind: 'count' },
      (reply) => (count += reply.count ?? 0),
      () => count,
    );
  }

  /** The ids of the nodes whose heartbeat key is alive (this one included), from Redis. */
  async liveNodes(): Promise<string[]> {
    const pub = this.pub;
    if (pub === null || pub.status !== 'ready') return [];
    const ids = await pub.smembers(this.keys.nodes);
    if (ids.length === 0) return [];
    const beats = await pub.mget(ids.map((id) => this.keys.node(id)));
    const live: string[] = [];
    const expired: string[] = [];
    ids.forEach((id, i) => (beats[i] === null ? expired : live).push(id));
    if (expired.length > 0) this.forgetNodes(expired);
    return live;
  }

  /**
   * Drops dead nodes from the node set, and their presence members from their rooms; a node whose
   * heartbeat came back since the look is left alone.
   */
  private forgetNodes(nodeIds: readonly string[]): void {
    for (const nodeId of nodeIds) {
      if (nodeId === this.nodeId) continue;
      if (this.presenceStore !== null) {
        void this.presenceStore.forgetNode(nodeId, 'dead');
      } else if (this.pub !== null) {
        forgetNode(this.pub, this.keys, nodeId, 'dead').catch((error: unknown) => {
          this.failure('heartbeat', `forgetting node ${nodeId} failed: ${describeError(error)}`);
        });
      }
    }
  }

  /**
   * One request to every node; `merge` folds each answer in, `value` reads the result. Partial when
   * a live node did not answer in time or Redis is unreachable.
   */
  private async ask<T>(
    query: WireQuery,
    merge: (reply: WireReplyBody) => void,
    value: () => T,
    isFinal?: (reply: WireReplyBody) => boolean,
    timeout = this.options.requestTimeout,
  ): Promise<ClusterQueryResult<T>> {
    this.requireNode();
    this.stats.queries++;
    const pub = this.pub!;
    if (this.state !== 'running' || pub.status !== 'ready') {
      this.stats.partialQueries++;
      return { value: value(), partial: true };
    }
    const id = this.nextRequestId++;
    const request = encodeRequest(this.nodeId, id, query);
    if (request.length > this.limits.maxMessageBytes) {
      this.overLimits(`a ${query.kind} query of ${request.length} bytes`);
      this.stats.partialQueries++;
      return { value: value(), partial: true };
    }
    const collector = this.collect(id, isFinal, timeout);
    const sent = pub.publish(this.keys.requests, request);
    this.liveNodes().then(
      (live) => collector.expectNodes(live.filter((nodeId) => nodeId !== this.nodeId)),
      (error: unknown) => {
        this.failure('query', `reading the live nodes failed: ${describeError(error)}`);
        collector.abort();
      },
    );
    try {
      await sent;
    } catch (error) {
      this.failure('query', `query failed: ${describeError(error)}`);
      collector.abort();
    }
    const gathered = await collector.result;
    for (const reply of gathered.answers.values()) merge(reply);
    if (!gathered.complete) this.stats.partialQueries++;
    return { value: value(), partial: !gathered.complete };
  }

  private collect(
    id: number,
    isFinal?: (reply: WireReplyBody) => boolean,
    timeout = this.options.requestTimeout,
  ): ReplyCollector<WireReplyBody> {
    const collector = new ReplyCollector<WireReplyBody>(timeout, isFinal, () =>
      this.pending.delete(id),
    );
    this.pending.set(id, collector);
    return collector;
  }

  // ---- what other nodes send ----

  private readonly onMessage = (_channel: Buffer, data: Buffer): void => {
    this.stats.received++;
    try {
      const decoded = decodeWire(data, this.limits);
      if (!decoded.ok && decoded.error.code === WireErrorCode.OverLimit) {
        this.stats.messagesOverLimits++;
        this.failure(
          'over-limits',
          `dropped a message beyond the limits: ${decoded.error.message}`,
        );
        return;
      }
      if (!decoded.ok) {
        this.stats.malformedMessages++;
        this.failure(
          'malformed',
          `ignored a malformed message: ${decoded.error.code} ${decoded.error.message}`,
        );
        return;
      }
      const message = decoded.message;
      // A logged broadcast is delivered by every node, its origin included (one order for all).
      if (message.nodeId === this.nodeId && message.kind !== WireKind.Logged) {
        this.stats.echoesIgnored++;
        return;
      }
      if (this.state !== 'running' || this.node === null) return;
      this.handle(message, this.node);
    } catch (error) {
      this.failure('handler', `handling a message from Redis failed: ${describeError(error)}`);
    }
  };

  private handle(message: WireMessage, node: LocalNode): void {
    switch (message.kind) {
      case WireKind.Broadcast:
        node.deliverLocally(message.broadcast);
        this.stats.delivered++;
        return;
      case WireKind.Command:
        void this.runCommand(message.nodeId, message.id, message.command, node);
        return;
      case WireKind.Request:
        this.stats.requestsAnswered++;
        if (message.query.kind === 'request') {
          void this.answerRequest(message.nodeId, message.id, message.query, node);
        } else {
          this.reply(message.nodeId, { id: message.id, ...this.localAnswer(message.query) });
        }
        return;
      case WireKind.Reply:
        this.pending.get(message.reply.id)?.add(message.nodeId, message.reply);
        return;
      case WireKind.Logged:
        this.recoveryStore?.receive(message.offset, message.broadcast);
        this.stats.delivered++;
        return;
    }
  }

  private async runCommand(
    origin: string,
    id: number,
    command: RemoteCommand,
    node: LocalNode,
  ): Promise<void> {
    let ran = false;
    try {
      ran = await node.runLocally(command);
      if (ran) {
        this.stats.commandsRun++;
        // "Ran" means effective: a broadcast the asker sends next already reaches a joined member.
        if (command.kind === 'join' || command.kind === 'leave') {
          await this.subscriptions?.settled();
        }
      }
    } catch (error) {
      this.failure('command', `running a remote ${command.kind} failed: ${describeError(error)}`);
    }
    this.reply(origin, { id, ran });
  }

  /** Asks this node's recipients of another node's `to(room).request()` and reports their answers. */
  private async answerRequest(
    origin: string,
    id: number,
    query: Extract<WireQuery, { kind: 'request' }>,
    node: LocalNode,
  ): Promise<void> {
    const { rooms, except, event, timeout } = query;
    try {
      const gathered = await node.requestLocally({
        rooms,
        except,
        event,
        value: fromWireValue(query.value) as EmitValue,
        timeout,
      });
      const replies = [...gathered.replies].map(
        ([who, value]) => [who, toWireValue(value)] as const,
      );
      const report = { replies, errors: [...gathered.errors], missing: gathered.missing };
      this.reply(origin, { id, report });
    } catch (error) {
      this.failure('query', `answering a broadcast request failed: ${describeError(error)}`);
    }
  }

  private localAnswer(query: Exclude<WireQuery, { kind: 'request' }>): Omit<WireReplyBody, 'id'> {
    switch (query.kind) {
      case 'members':
        return { list: this.localMembers(query.room) };
      case 'rooms':
        return { list: [...this.requireNode().index.rooms()] };
      case 'roomsOf':
        return { list: this.localRoomsOf(query.connectionId) };
      case 'count':
        return { count: this.localCount() };
    }
  }

  private reply(origin: string, body: WireReplyBody): void {
    const pub = this.pub;
    if (pub === null || pub.status !== 'ready') return;
    const data = encodeReply(this.nodeId, body);
    // The asker would drop it: it times out and answers partially instead.
    if (data.length > this.limits.maxMessageBytes) {
      return this.overLimits(`an answer of ${data.length} bytes`);
    }
    pub.publish(this.keys.replies(origin), data).catch((error: unknown) => {
      this.failure('reply', `reply failed: ${describeError(error)}`);
    });
  }

  // ---- local index ----

  /** A connection id's only member is the connection; a room's are in the index. */
  private localMembers(name: string): string[] {
    const node = this.requireNode();
    if (node.isConnectionId(name)) return node.hasConnection(name) ? [name] : [];
    return [...node.index.membersOf(name)];
  }

  private localRoomsOf(connectionId: string): string[] | null {
    const node = this.requireNode();
    return node.hasConnection(connectionId) ? [...node.index.roomsOf(connectionId)] : null;
  }

  private localCount(): number {
    let count = 0;
    for (const _id of this.requireNode().connectionIds()) count++;
    return count;
  }

  private releaseRoomIfUnused(room: string): void {
    const node = this.node;
    if (this.subscriptions === null || node === null) return;
    if (node.index.membersOf(room).size > 0) return;
    this.subscriptions.remove(this.keys.room(room));
    this.updateGauges();
  }

  /** The channel of a single target: ids and rooms never share one. */
  private targetChannel(name: string): string {
    return this.requireNode().isConnectionId(name)
      ? this.keys.connection(name)
      : this.keys.room(name);
  }

  private requireNode(): LocalNode {
    if (this.node === null) throw new Error('RedisRoomStore used before start() or after close()');
    return this.node;
  }

  // ---- heartbeat ----

  private async heartbeat(): Promise<void> {
    const pub = this.pub;
    const node = this.node;
    if (pub === null || node === null || pub.status !== 'ready') return;
    const snapshot = JSON.stringify({
      nodeId: this.nodeId,
      host: hostname(),
      pid: process.pid,
      startedAt: this.startedAt,
      connections: this.localConnections,
      rooms: node.index.roomCount,
    });
    let forgotten = false;
    try {
      const results = await pub
        .multi()
        .set(this.keys.node(this.nodeId), snapshot, 'PX', this.options.heartbeatTtl, 'GET')
        .sadd(this.keys.nodes, this.nodeId)
        .exec();
      this.stats.heartbeats++;
      // No previous heartbeat: Redis restarted empty, or the others took this node for dead.
      forgotten = this.registered && results?.[0]?.[1] === null;
      this.registered = true;
    } catch (error) {
      this.failure('heartbeat', `heartbeat failed: ${describeError(error)}`);
    }
    this.updateGauges();
    // A load that failed (e.g. an ACL without SCRIPT LOAD) is retried: until then nothing is logged.
    if (this.recoveryStore !== null && !this.scriptsLoaded && this.state === 'running') {
      if (this.gapStartedAt === null && this.bothReady()) await this.loadScripts();
    }
    const presence = this.presenceStore;
    if (presence === null || this.state !== 'running') return;
    if (forgotten || presence.needsResync) {
      this.logger.warn("the cluster lost this node's presence records: recording them again");
      await presence.resync();
    }
    // Finds (and forgets) nodes that died, even when nobody asks a query.
    await this.liveNodes().catch((error: unknown) => {
      this.failure('heartbeat', `reading the live nodes failed: ${describeError(error)}`);
    });
  }

  // ---- connections to Redis ----

  /** Closes what the store opened; the caller's client only loses the store's listeners. */
  private release(pub: RedisClient, sub: RedisClient): void {
    for (const off of this.detach.splice(0)) off();
    const own = this.ownsPublisher ? [pub, sub] : [sub];
    for (const connection of own) {
      // A late socket error after disconnect() must still find a listener.
      connection.on('error', () => undefined);
      connection.disconnect();
    }
  }

  private listen(
    connection: RedisClient,
    event: string,
    listener: (...args: unknown[]) => void,
  ): void {
    connection.on(event, listener);
    this.detach.push(() => connection.off(event, listener));
  }

  private get ownsPublisher(): boolean {
    return this.options.client === undefined;
  }

  private createConnections(): { pub: RedisClient; sub: RedisClient } {
    const { url, client, redisOptions, prefix } = this.options;
    // Nothing queues while Redis is away: what cannot be sent now is dropped and counted.
    const pub =
      client ??
      new this.RedisClass!(url!, {
        ...redisOptions,
        lazyConnect: true,
        enableOfflineQueue: false,
        connectionName: redisOptions.connectionName ?? `${prefix}:${this.nodeId}:pub`,
      });
    const sub = pub.duplicate({
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResubscribe: false,
      connectionName: `${prefix}:${this.nodeId}:sub`,
    });
    this.listen(sub, 'messageBuffer', this.onMessage as (...args: unknown[]) => void);
    for (const connection of client === undefined ? [pub, sub] : [sub]) {
      // The caller's client keeps its own error handling; ours must never be without a listener.
      this.listen(connection, 'error', (error: unknown) => this.onRedisError(error));
    }
    for (const connection of [pub, sub]) {
      this.listen(connection, 'close', () => this.onConnectionLost(connection === sub));
      this.listen(connection, 'ready', () => void this.recover());
      this.listen(connection, 'end', () => this.onEnd());
    }
    return { pub, sub };
  }

  private async waitUntilReady(): Promise<void> {
    const connections = [this.pub!, this.sub!];
    let lastError: unknown;
    const onError = (error: unknown) => (lastError = error);
    for (const connection of connections) connection.on('error', onError);
    try {
      await bounded(
        Promise.all(
          connections.map((connection) => {
            if (connection.status === 'ready') return undefined;
            const ready = new Promise<void>((resolve) => connection.once('ready', () => resolve()));
            // connect() rejects on the first failed attempt while ioredis keeps retrying: wait for 'ready'.
            if (connection.status === 'wait') connection.connect().catch(onError);
            return ready;
          }),
        ),
        this.options.connectTimeout,
      );
    } catch {
      const where =
        this.options.url !== undefined ? redactUrl(this.options.url) : 'the given client';
      const why =
        lastError === undefined
          ? ''
          : `: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
      throw new RedisRoomStoreError(
        RedisRoomStoreErrorCode.Unavailable,
        `ws-rooms: Redis at ${where} is not reachable (not ready within connectTimeout ` +
          `${this.options.connectTimeout} ms)${why}`,
        { cause: lastError },
      );
    } finally {
      for (const connection of connections) connection.off('error', onError);
    }
  }

  /**
   * Loads the scripts whose runs must keep their order (numbering broadcasts): a run that had to
   * fall back to `EVAL` could be overtaken by the next one. Broadcasts are not numbered until then.
   */
  private async loadScripts(): Promise<void> {
    if (this.recoveryStore === null || this.pub === null) return;
    this.scriptsLoaded = false;
    try {
      await Promise.all(PRELOADED_SCRIPTS.map((script) => script.load(this.pub!)));
      this.scriptsLoaded = true;
    } catch (error) {
      this.failure('log', `loading the log scripts failed: ${describeError(error)}`);
    }
  }

  private onConnectionLost(subscriber: boolean): void {
    if (this.state !== 'running') return;
    this.scriptsLoaded = false;
    if (subscriber) this.subNeedsResubscribe = true;
    this.stats.connected = false;
    if (this.gapStartedAt !== null) return;
    this.gapStartedAt = this.scheduler.now();
    this.skippedAtGapStart = this.stats.publishSkipped;
    this.stats.connectionLosses++;
    this.logger.warn(
      'lost the connection to Redis: local delivery continues; broadcasts to other nodes are dropped and ' +
        'queries answer partially until it is back (ioredis reconnects)',
    );
  }

  /** Once both connections are ready again: subscriptions restored, heartbeat re-registered, gap closed. */
  private async recover(): Promise<void> {
    if (this.state !== 'running' || this.recovering || !this.bothReady()) return;
    this.recovering = true;
    try {
      if (this.subNeedsResubscribe) {
        this.subNeedsResubscribe = false;
        await this.subscriptions!.resubscribeAll();
      }
      // Redis may have restarted empty: register again now rather than at the next tick.
      await this.heartbeat();
      // A restarted Redis forgot the scripts: load them before broadcasts are numbered again.
      await this.loadScripts();
      // Offsets go on from where this node was; what was logged meanwhile is delivered now.
      await this.recoveryStore?.catchUp().catch((error: unknown) => {
        this.failure('log', `catching up with the log failed: ${describeError(error)}`);
      });
    } finally {
      this.recovering = false;
    }
    if (this.state !== 'running' || !this.bothReady()) return;
    if (this.subNeedsResubscribe) return void this.recover();
    if (this.gapStartedAt !== null) {
      const lasted = this.scheduler.now() - this.gapStartedAt;
      const skipped = this.stats.publishSkipped - this.skippedAtGapStart;
      this.gapStartedAt = null;
      this.stats.reconnections++;
      this.logger.log(
        `reconnected to Redis after ${lasted} ms; ${skipped} broadcasts were not forwarded meanwhile`,
      );
    }
    this.updateGauges();
  }

  private onRedisError(error: unknown): void {
    // During a gap ioredis reports every failed attempt: the gap itself was logged once.
    if (this.gapStartedAt !== null || this.state !== 'running') return;
    this.failure('redis', `Redis error: ${error instanceof Error ? error.message : String(error)}`);
  }

  private onEnd(): void {
    if (this.state !== 'running') return;
    this.logger.error(
      'ioredis stopped reconnecting (its retryStrategy gave up): this node no longer reaches the others',
    );
  }

  private bothReady(): boolean {
    return this.pub?.status === 'ready' && this.sub?.status === 'ready';
  }

  private updateGauges(): void {
    this.stats.subscriptions = this.subscriptions?.size ?? 0;
    this.stats.connected =
      this.state === 'running' && this.gapStartedAt === null && this.bothReady();
  }

  /**
   * Milliseconds since the epoch, for what other machines read: a log entry's time (compared with
   * other nodes' clocks when a session resumes there) and the heartbeat's start time. The
   * scheduler's `now()` is monotonic, right for durations and wrong across processes.
   */
  private wallNow(): number {
    return this.scheduler.wallNow?.() ?? this.scheduler.now();
  }

  /** Something this node would send breaks a wire limit: the other nodes would drop it. */
  private overLimits(what: string): void {
    this.stats.publishOverLimits++;
    this.failure('publish-limits', `not sent to the other nodes, beyond the wire limits: ${what}`);
  }

  /** Logs a recurring failure at most once per period and kind; the counters say how often. */
  private failure(kind: string, message: string): void {
    const now = this.scheduler.now();
    const last = this.lastFailureLog.get(kind);
    if (last !== undefined && now - last < FAILURE_LOG_PERIOD) return;
    this.lastFailureLog.set(kind, now);
    this.logger.error(message);
  }
}

function bounded<T>(promise: Promise<T>, milliseconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${milliseconds} ms`)), milliseconds);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the configured URL';
  }
}
