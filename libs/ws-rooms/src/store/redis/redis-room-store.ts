import { Logger } from '@nestjs/common';
import type { BroadcastRequestResult } from '../../interfaces/broadcast-operator.interface';
import { systemScheduler } from '../../util/scheduler';
import type { PresenceStore } from '../presence-store.interface';
import type { RecoveryStore } from '../recovery-store.interface';
import type {
  ClusterQueryResult,
  LocalNode,
  OutboundBroadcast,
  OutboundRequest,
  RecoveryStoreOptions,
  RemoteCommand,
  RoomStore,
} from '../room-store.interface';
import { bounded } from './bounded';
import { loadIoredis, loadIoredisCluster, type RedisConstructor } from './load-ioredis';
import { ClusterQueries } from './redis-cluster-queries';
import { RedisConnections } from './redis-connections';
import { FailureLog } from './redis-failure-log';
import { InboundMessages } from './redis-inbound';
import { RedisKeys } from './redis-keys';
import { LogSequencer } from './redis-log-sequencer';
import { NodeHeartbeat } from './redis-node-heartbeat';
import { RedisPresenceStore } from './redis-presence-store';
import { PublishBudget } from './redis-publish-budget';
import { RedisPublisher } from './redis-publisher';
import { Reconnection } from './redis-reconnection';
import { RedisRecoveryStore } from './redis-recovery-store';
import { RedisReplies } from './redis-replies';
import { RedisRoomStoreError, RedisRoomStoreErrorCode } from './redis-room-store.error';
import { createRedisStoreStats, type RedisRoomStoreStats } from './redis-room-store-stats';
import { RoomSubscriptions } from './redis-room-subscriptions';
import type { RedisStoreContext } from './redis-store-context';
import { type RedisRoomStoreOptions, resolveRedisStoreOptions } from './redis-store-options';
import { DEFAULT_WIRE_LIMITS } from './redis-wire-limits';
import { type ClusterConstructor, ShardedClient } from './sharded-client';

type State = 'new' | 'starting' | 'running' | 'closed';

/**
 * Rooms and broadcasts across several nodes over Redis pub/sub: `to(room)` reaches the members on
 * every node exactly once, `to(id)` reaches a connection wherever it lives, and the membership
 * queries aggregate every live node. How it works, what it keeps in Redis, how it fails and what
 * it does not support: `docs/multi-node.md`.
 *
 * ```ts
 * WsRoomsModule.forRoot({ endpoint: '/ws', store: new RedisRoomStore({ url: process.env.REDIS_URL }) })
 * ```
 *
 * The store is a facade over parts that share one {@link RedisStoreContext}: its connections
 * (`RedisConnections`), the channels it listens to (`RoomSubscriptions`), what it sends
 * (`RedisPublisher`, `LogSequencer`), what it receives (`InboundMessages`), cluster queries
 * (`ClusterQueries`, `RedisReplies`), the heartbeat (`NodeHeartbeat`) and the recovery from a lost
 * connection (`Reconnection`).
 */
export class RedisRoomStore implements RoomStore {
  /** This node's id in the cluster. */
  readonly nodeId: string;
  /** Counters and gauges, updated in place (see {@link RedisRoomStoreStats}). */
  readonly stats: RedisRoomStoreStats = createRedisStoreStats();
  private readonly context: RedisStoreContext;
  private readonly RedisClass: RedisConstructor | null;
  private readonly ClusterClass: ClusterConstructor | null;
  private readonly budget: PublishBudget;
  private readonly subscriptions: RoomSubscriptions;
  private readonly replies: RedisReplies;
  private readonly publisher: RedisPublisher;
  private readonly queries: ClusterQueries;
  private readonly heartbeat: NodeHeartbeat;
  private readonly reconnection: Reconnection;
  private readonly inbound: InboundMessages;
  private state: State = 'new';
  private node: LocalNode | null = null;
  private connections: RedisConnections | null = null;
  private presenceStore: RedisPresenceStore | null = null;
  private recoveryStore: RedisRecoveryStore | null = null;
  private sequencer: LogSequencer | null = null;

  /**
   * Validates the options; opens nothing (connections open in `start()`, when the endpoint starts).
   * @throws WsRoomsError `WS_ROOMS_INVALID_OPTION` for invalid options
   * @throws RedisRoomStoreError `WS_ROOMS_REDIS_MISSING_DEPENDENCY` when `url` is given and
   * `ioredis` is not installed
   */
  constructor(options: RedisRoomStoreOptions) {
    const resolved = resolveRedisStoreOptions(options);
    const logger = options.logger ?? new Logger('WsRooms:redis');
    const scheduler = options.scheduler ?? systemScheduler;
    const failures = new FailureLog(logger, scheduler);
    this.nodeId = resolved.nodeId;
    this.context = {
      nodeId: this.nodeId,
      keys: new RedisKeys(resolved.keyPrefix, resolved.cluster !== undefined),
      stats: this.stats,
      limits: Object.freeze({ ...DEFAULT_WIRE_LIMITS, maxMessageBytes: resolved.maxMessageBytes }),
      options: resolved,
      scheduler,
      logger,
      client: () => this.connections?.pub ?? null,
      readyClient: () => {
        const pub = this.connections?.pub;
        return this.state === 'running' && pub?.status === 'ready' ? pub : null;
      },
      node: () => this.node,
      running: () => this.state === 'running',
      connected: () => this.isConnected(),
      liveNodes: () => this.heartbeat.liveNodes(),
      failure: (kind, message) => failures.report(kind, message),
    };
    this.RedisClass = resolved.url !== undefined ? loadIoredis() : null;
    this.ClusterClass = resolved.cluster !== undefined ? loadIoredisCluster() : null;
    this.budget = new PublishBudget(resolved.maxUnacknowledgedBytes);
    this.subscriptions = new RoomSubscriptions(this.context);
    this.replies = new RedisReplies(this.context);
    this.publisher = new RedisPublisher(
      this.context,
      this.budget,
      this.subscriptions,
      this.replies,
    );
    this.queries = new ClusterQueries(this.context, this.replies);
    this.heartbeat = new NodeHeartbeat(this.context, {
      connectionCount: () => this.subscriptions.connectionCount,
      presence: () => this.presenceStore,
      sequencer: () => this.sequencer,
      updateGauges: () => this.updateGauges(),
    });
    this.reconnection = new Reconnection(this.context, {
      bothReady: () => this.connections?.bothReady ?? false,
      resubscribe: () => this.subscriptions.resubscribeAll(),
      heartbeat: () => this.heartbeat.beat(),
      forgetScripts: () => this.sequencer?.forget(),
      loadScripts: async () => this.sequencer?.load(),
      catchUp: async () => this.recoveryStore?.catchUp(),
      updateGauges: () => this.updateGauges(),
    });
    this.inbound = new InboundMessages(this.context, {
      command: (origin, id, command, node) => void this.publisher.run(origin, id, command, node),
      query: (origin, id, query, node) => this.queries.answer(origin, id, query, node),
      reply: (origin, reply) => this.replies.received(origin, reply),
      logged: (offset, broadcast) => this.recoveryStore?.receive(offset, broadcast),
    });
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
    this.heartbeat.starting();
    const connections = new RedisConnections(
      this.context.options,
      this.RedisClass,
      {
        message: this.inbound.onMessage,
        error: (error) => this.reconnection.error(error),
        lost: (subscriber) => this.reconnection.lost(subscriber),
        ready: () => void this.reconnection.ready(),
        end: () => this.reconnection.end(),
      },
      this.ClusterClass === null ? undefined : () => this.openCluster(this.ClusterClass!),
    );
    this.connections = connections;
    try {
      await connections.waitUntilReady();
    } catch (error) {
      this.state = 'closed';
      this.connections = null;
      connections.release();
      throw error;
    }
    await this.subscriptions.start(connections.sub, node, this.recoveryStore !== null);
    await this.sequencer?.load();
    // Registered only once subscribed: a node that queries see as live can receive their requests.
    await this.heartbeat.beat();
    if (this.state !== 'starting') return; // closed meanwhile
    this.heartbeat.start();
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
    this.heartbeat.stop();
    // Members whose leave did not reach Redis must not outlive this node (the others would show them
    // until the heartbeat expires). Done before the state changes: the presence store needs it running.
    if (this.presenceStore !== null && this.state === 'running') {
      await bounded(
        this.presenceStore.forgetNode(this.nodeId, 'self'),
        this.context.options.requestTimeout,
      ).catch(() => undefined);
    }
    // A concurrent close() finished meanwhile.
    if ((this.state as State) === 'closed') return;
    this.state = 'closed';
    this.replies.abortAll();
    await this.heartbeat.leave();
    this.connections?.release();
    this.connections = null;
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
    return this.subscriptions.joined(room);
  }

  /** Unsubscribes from the room's channel when its last local member left. */
  left(_connectionId: string, room: string): void {
    this.subscriptions.left(room);
  }

  /** Subscribes to the connection's own channel, so `to(id)` and commands from other nodes reach it. */
  connected(connectionId: string): Promise<void> | void {
    return this.subscriptions.connected(connectionId);
  }

  /** Releases the connection's channel and those of the rooms it was the last local member of. */
  disconnected(connectionId: string, rooms: readonly string[]): void {
    this.subscriptions.disconnected(connectionId, rooms);
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
   * @throws RedisRoomStoreError `WS_ROOMS_REDIS_INVALID_STATE` once the store started
   */
  createRecoveryStore(options: RecoveryStoreOptions): RecoveryStore {
    if (this.state !== 'new') {
      throw new RedisRoomStoreError(
        RedisRoomStoreErrorCode.InvalidState,
        'ws-rooms: createRecoveryStore() must be called before the store starts',
      );
    }
    this.sequencer ??= new LogSequencer(this.context, options, this.budget);
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
   * it when it comes back on `<keyPrefix>:logged`. False when Redis cannot take it now: the server then
   * delivers it locally, unlogged, as it would without recovery.
   */
  sequence(broadcast: OutboundBroadcast): boolean {
    return this.sequencer?.sequence(broadcast) ?? false;
  }

  // ---- broadcasts and commands ----

  /**
   * Publishes once: to the connection's channel for one id, to the room's channel for one room, to
   * `<keyPrefix>:all` otherwise.
   */
  publish(broadcast: OutboundBroadcast): void {
    this.publisher.publish(broadcast);
  }

  /**
   * Sends the command on the connection's own channel, which only its owner listens to; resolves
   * false at once when nobody listens, else with the owner's answer or after `requestTimeout`.
   */
  sendRemote(command: RemoteCommand): Promise<boolean> {
    return this.publisher.sendRemote(command);
  }

  // ---- queries ----

  /** Members of a room on every live node (a connection id gives that connection). */
  members(room: string): Promise<ClusterQueryResult<string[]>> {
    return this.queries.members(room);
  }

  /** Non-empty rooms of every live node. */
  rooms(): Promise<ClusterQueryResult<string[]>> {
    return this.queries.rooms();
  }

  /** Rooms of a connection: answered locally when it is here, else by its owner. */
  roomsOf(connectionId: string): Promise<ClusterQueryResult<string[]>> {
    return this.queries.roomsOf(connectionId);
  }

  /**
   * `to(room).request()` beyond this node: one query to every node, each asks its own recipients
   * and reports; the wait is the request's timeout plus `requestTimeout` for the reports to travel.
   */
  requestRemote(
    request: OutboundRequest,
  ): Promise<ClusterQueryResult<BroadcastRequestResult<unknown>>> {
    return this.queries.requestRemote(request);
  }

  /** Connections on every live node. */
  connectionCount(): Promise<ClusterQueryResult<number>> {
    return this.queries.connectionCount();
  }

  /** The ids of the nodes whose heartbeat key is alive (this one included), from Redis. */
  liveNodes(): Promise<string[]> {
    return this.heartbeat.liveNodes();
  }

  // ---- state ----

  /** The connection to a Redis Cluster (`cluster` option): ioredis' Cluster with sharded subscribers. */
  private openCluster(ClusterClass: ClusterConstructor): ShardedClient {
    const { cluster, redisOptions, keyPrefix, nodeId, requestTimeout } = this.context.options;
    const connection = new ClusterClass(
      cluster!.nodes.map((node) => ({ host: node.host, port: node.port })),
      {
        redisOptions: {
          ...redisOptions,
          connectionName: redisOptions.connectionName ?? `${keyPrefix}:${nodeId}`,
        },
        lazyConnect: true,
        // On: a command for a master whose connection is still opening waits in that connection's
        // queue, in order. Off, ioredis fails it at once and retries it on a random master, which
        // answers MOVED: commands overtake each other. What is queued stays bounded by
        // maxUnacknowledgedBytes (broadcasts) and ioredis' maxRetriesPerRequest (the others).
        enableOfflineQueue: true,
        shardedSubscribers: true,
      },
    );
    // Held messages are bounded like unacknowledged publishes: by maxUnacknowledgedBytes.
    const { maxUnacknowledgedBytes } = this.context.options;
    return new ShardedClient(
      connection,
      this.context.keys,
      requestTimeout,
      maxUnacknowledgedBytes,
      {
        malformed: () => this.stats.malformedMessages++,
        fenceTimedOut: () => this.stats.fenceTimeouts++,
        failure: (kind, message) => this.context.failure(kind, message),
      },
    );
  }

  private isConnected(): boolean {
    return (
      this.state === 'running' && !this.reconnection.inGap && (this.connections?.bothReady ?? false)
    );
  }

  private updateGauges(): void {
    this.stats.connected = this.isConnected();
  }
}
