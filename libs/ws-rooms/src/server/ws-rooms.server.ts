import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type CanActivate, Logger } from '@nestjs/common';
import type { WebSocketServer } from 'ws';
import type { Connection } from '../connection/connection';
import type { ConnectionHost, ConnectionLimits } from '../connection/connection-host.interface';
import { createWebSocketServer } from '../connection/websocket-server';
import { CloseCode } from '../errors/close-codes';
import type {
  BroadcastOperator,
  BroadcastRequestResult,
} from '../interfaces/broadcast-operator.interface';
import type { ResolvedWsRoomsOptions } from '../options/ws-rooms-options.interface';
import { type EmitValue, MessageCodec } from '../protocol/message-codec';
import type { PresenceMember } from '../store/presence-store.interface';
import type { RecoveryStore } from '../store/recovery-store.interface';
import { RoomIndex } from '../store/room-index';
import type { ClusterQueryResult, RemoteCommand, RoomStore } from '../store/room-store.interface';
import { monotonicNow } from '../util/clock';
import { InFlight } from '../util/in-flight';
import { LogBudget } from '../util/log-budget';
import { waitForClose, within } from '../util/timers';
import { UpgradeAdmission } from './admission/upgrade-admission';
import { RoomBroadcastOperator } from './rooms/broadcast-operator';
import { ConnectionLimiter } from './admission/connection-limiter';
import { describeError } from '../util/describe-error';
import {
  createPresenceExtension,
  createRecoveryExtension,
  type ExtensionContext,
} from './extensions/create-extensions';
import type { PresenceExtension } from './extensions/presence-extension';
import type { RecoveryExtension } from './extensions/recovery-extension';
import type { ServerExtension } from './extensions/server-extension';
import { Heartbeat } from './lifecycle/heartbeat';
import { type Scheduler, systemScheduler } from '../util/scheduler';
import { FloodGuard } from './inbound/flood-guard';
import { HandlerInvoker } from './inbound/handler-invoker';
import {
  type ConnectionHook,
  type DisconnectHook,
  type EventHandler,
  HandlerRegistry,
  type NativeHandler,
} from './inbound/handler-registry';
import { InboundDispatcher } from './inbound/inbound-dispatcher';
import { ConnectionAcceptor } from './lifecycle/connection-acceptor';
import { ConnectionCloser } from './lifecycle/connection-closer';
import { ConnectionRegistry } from './lifecycle/connection-registry';
import { Delivery } from './outbound/delivery';
import { Recipients } from './outbound/recipients';
import { RequestManager } from './requests/request-manager';
import { Membership } from './rooms/membership';
import { runCommandLocally } from './rooms/remote-commands';
import { assertRoomName } from './rooms/room-name';
import { createStats, type WsRoomsStats } from './server-stats';

export type { ConnectionHook, DisconnectHook, EventHandler, NativeHandler };

/**
 * One websocket endpoint. A facade: it wires the parts (admission, connections, inbound dispatch,
 * requests, delivery, membership, close, and the presence and recovery extensions), starts and
 * stops them, and offers the operations the module, the adapter, the services and the connections
 * use. The parts never see it; each gets the narrow ports it needs. See `ARCHITECTURE.md`.
 */
export class WsRoomsServer implements ConnectionHost {
  readonly codec: MessageCodec;
  readonly index = new RoomIndex();
  readonly stats: WsRoomsStats = createStats(this.index);
  readonly limits: ConnectionLimits;
  private readonly logger: Logger;
  private readonly logBudget: LogBudget;
  private readonly handlers = new HandlerRegistry();
  private readonly connections: ConnectionRegistry;
  private readonly limiter: ConnectionLimiter;
  private readonly wss: WebSocketServer;
  private readonly inFlight: InFlight;
  private readonly heartbeat: Heartbeat<Connection>;
  private readonly admission: UpgradeAdmission;
  private readonly acceptor: ConnectionAcceptor;
  private readonly invoker: HandlerInvoker;
  private readonly inbound: InboundDispatcher;
  private readonly requests: RequestManager;
  private readonly delivery: Delivery;
  private readonly membership: Membership;
  private readonly closer: ConnectionCloser;
  private readonly presence: PresenceExtension | null;
  private readonly recovery: RecoveryExtension | null;
  private readonly recoveryStore: RecoveryStore | null;
  private startup: Promise<void> | undefined;
  private started = false;
  private shuttingDown = false;

  constructor(
    readonly options: ResolvedWsRoomsOptions,
    readonly store: RoomStore = options.store,
    private readonly scheduler: Scheduler = systemScheduler,
  ) {
    this.logger = new Logger(`WsRooms:${options.name}`);
    this.logBudget = new LogBudget(this.logger);
    this.inFlight = new InFlight((error) => this.logger.error(describeError(error)));
    const track = (result: unknown) => this.inFlight.track(result);
    this.codec = new MessageCodec(options.prefix, {
      maxEventNameLength: options.maxEventNameLength,
      maxJsonDepth: options.maxJsonDepth,
      maxJsonValues: options.maxJsonValues,
      maxJsonStringLength: options.maxJsonStringLength,
    });
    this.limits = {
      maxBufferedBytes: options.maxBufferedBytes,
      writeBufferSize: options.writeBufferSize,
    };
    this.connections = new ConnectionRegistry(this.stats);
    this.limiter = new ConnectionLimiter(options.maxConnections, options.maxConnectionsPerAddress);
    const recipients = new Recipients(this.connections, this.index, options.isConnectionId);
    this.delivery = new Delivery(this.codec, recipients, store, this.stats, options.binaryMessages);
    this.requests = new RequestManager(this.delivery, recipients, store, options.requestTimeout);
    const context: ExtensionContext = {
      options,
      store,
      stats: this.stats,
      connections: this.connections,
      scheduler,
      logger: this.logger,
      track,
      membership: () => this.membership,
      closer: () => this.closer,
      command: (command) => this.command(command),
      broadcastFrom: (senderId) => this.broadcastFrom(senderId),
    };
    this.presence = createPresenceExtension(context);
    const recovery = createRecoveryExtension(context, this.presence);
    this.recovery = recovery?.extension ?? null;
    this.recoveryStore = recovery?.log ?? null;
    this.delivery.hook = this.recovery;
    const extensions: ServerExtension[] = [];
    if (this.presence !== null) extensions.push(this.presence);
    if (this.recovery !== null) extensions.push(this.recovery);
    this.membership = new Membership(this.index, store, extensions, options, track, (error) =>
      this.logger.error(`room store failed: ${describeError(error)}`),
    );
    this.closer = new ConnectionCloser(
      this.connections,
      this.membership,
      this.requests,
      this.limiter,
      this.handlers,
      extensions,
      this.stats,
      this.logger,
      track,
    );
    this.invoker = new HandlerInvoker(this.stats, this.logger, this.logBudget);
    const flood = new FloodGuard(options.maxMessageRate, options.maxMessageBurst, () =>
      this.scheduler.now(),
    );
    this.inbound = new InboundDispatcher(
      this.codec,
      this.handlers,
      this.invoker,
      this.requests,
      flood,
      this.stats,
      this.logger,
      this.logBudget,
      {
        close: (connection, code, reason) => this.close(connection, code, reason),
        onError: options.onError,
        eventNameLimits: { maxEventNameLength: options.maxEventNameLength },
      },
    );
    this.wss = createWebSocketServer(options);
    const isAvailable = () => this.started && !this.shuttingDown;
    this.acceptor = new ConnectionAcceptor(
      options,
      this,
      this.connections,
      this.limiter,
      store,
      flood,
      this.handlers,
      this.recovery,
      this.logger,
      {
        isAvailable,
        now: () => this.scheduler.now(),
        track,
        close: (connection, code, reason) => this.close(connection, code, reason),
      },
    );
    this.admission = new UpgradeAdmission(
      options,
      this.limiter,
      this.wss,
      this.stats,
      this.logger,
      {
        isAvailable,
        hasConnection: (id) => this.connections.has(id),
        resume:
          recovery === null
            ? undefined
            : (request, owner) => this.recovery!.resumeRequested(request, owner),
        accept: (...args) => this.acceptor.accept(...args),
      },
    );
    this.heartbeat = new Heartbeat<Connection>(options, this.heartbeatActions, scheduler);
  }

  get name(): string {
    return this.options.name;
  }

  /** Number of live connections on this node. */
  get connectionCount(): number {
    return this.connections.size;
  }

  // ---- registration (by the explorer / adapter, before start) ----

  /** Sets the (DI-resolved) guards run on every upgrade request. */
  setHandshakeGuards(guards: readonly CanActivate[]): void {
    this.admission.setHandshakeGuards(guards);
  }

  /** Adds a handler for an event; several handlers of one event run in registration order. */
  addEventHandler(event: string, handler: EventHandler): void {
    this.handlers.addEventHandler(event, handler);
  }

  /** Adds a native message handler. */
  addNativeHandler(handler: NativeHandler): void {
    this.handlers.native.push(handler);
  }

  /** Adds a connection hook; hooks run in registration order. */
  addConnectionHook(hook: ConnectionHook): void {
    this.handlers.connectionHooks.push(hook);
  }

  /** Adds a disconnect hook; hooks run in registration order. */
  addDisconnectHook(hook: DisconnectHook): void {
    this.handlers.disconnectHooks.push(hook);
  }

  /** True when some handler serves this event. */
  hasEventHandler(event: string): boolean {
    return this.handlers.eventHandlers(event) !== undefined;
  }

  // ---- lifecycle ----

  /** Starts the heartbeat and the store. The upgrade router calls {@link handleUpgrade}. */
  start(): Promise<void> {
    // One promise for every caller (the adapter and the module both start the server), so that a
    // store that fails to start (e.g. Redis unreachable) fails the bootstrap that awaits it.
    this.startup ??= this.startOnce();
    return this.startup;
  }

  private async startOnce(): Promise<void> {
    this.started = true;
    if (this.admission.allowsEveryOrigin && this.options.checkOrigin === undefined) {
      this.logger.warn(
        'allowedOrigins contains "*": every origin may open a websocket to this endpoint',
      );
    }
    await this.store.start({
      index: this.index,
      connectionIds: () => this.connections.ids(),
      hasConnection: (id) => this.connections.has(id),
      isConnectionId: this.options.isConnectionId,
      deliverLocally: (broadcast, offset) => this.delivery.deliverLocally(broadcast, offset),
      runLocally: (command) => this.runLocally(command),
      requestLocally: (request) => this.requests.requestLocally(request),
    });
    await this.recoveryStore?.start?.();
    this.heartbeat.start();
  }

  /**
   * Graceful shutdown, bounded by `closeTimeout`: refuses new upgrades and answers those still
   * being checked, closes every connection with 1001 (disconnect handlers run), waits for close
   * handshakes and in-flight work, then destroys what is left and stops every timer and the store.
   */
  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    const deadline = monotonicNow() + this.options.closeTimeout;
    this.heartbeat.stop();
    this.admission.abortPending();
    const closed: Promise<void>[] = [];
    for (const connection of [...this.connections.values()]) {
      closed.push(waitForClose(connection.ws));
      this.close(connection, CloseCode.GoingAway, 'server shutting down');
    }
    await within(
      Promise.all([...closed, this.inFlight.idle(), this.invoker.idle()]),
      this.options.closeTimeout,
    );
    this.closer.destroyClosing();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    // The last leaves must reach the presence store before the store's connections go.
    if (this.presence !== null) {
      await within(this.presence.idle(), Math.max(0, deadline - monotonicNow()));
    }
    await within(this.store.close(), Math.max(100, deadline - monotonicNow()));
  }

  /** Handles an HTTP upgrade for this endpoint's path (see `UpgradeAdmission`). Never throws. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    return this.admission.handleUpgrade(request, socket, head);
  }

  // ---- what connections, services and the store use ----

  frameEvent(event: string, value: EmitValue, binary = false): Buffer {
    return this.delivery.frameEvent(event, value, binary);
  }

  frameNative(data: string | Uint8Array, binary = false): Buffer {
    return this.delivery.frameNative(data, binary);
  }

  scheduleFlush(connection: Connection): void {
    this.delivery.scheduleFlush(connection);
  }

  /** A broadcast operator with no target yet; `senderId` makes `NotMe` meaningful. */
  broadcastFrom(senderId: string | undefined): BroadcastOperator {
    return new RoomBroadcastOperator(this.sink, senderId);
  }

  private readonly sink = {
    broadcast: (...args: Parameters<Delivery['broadcast']>) => this.delivery.broadcast(...args),
    encodeEvent: (event: string, value: EmitValue) => this.delivery.encodeEvent(event, value),
    encodeNative: (data: string | Uint8Array) => this.delivery.encodeNative(data),
    isBinaryFrame: (message: Buffer) => this.delivery.isBinaryFrame(message),
    requestAll: (...args: Parameters<RequestManager['requestAll']>) =>
      this.requests.requestAll(...args),
  };

  /**
   * Sends a request to one connection and waits for its reply (`connection.request`).
   * @throws WsRoomsError (as a rejection) on timeout, closed connection or a failed reply.
   */
  request(
    connection: Connection,
    event: string,
    value: EmitValue,
    timeout?: number,
  ): Promise<unknown> {
    return this.requests.request(connection, event, value, timeout);
  }

  /** Sends one request to every recipient, on every node, and collects the answers. */
  requestAll(
    rooms: readonly string[] | null,
    except: readonly string[],
    event: string,
    value: EmitValue,
    timeout?: number,
  ): Promise<BroadcastRequestResult<unknown>> {
    return this.requests.requestAll(rooms, except, event, value, timeout);
  }

  /** The local connection with this id. */
  getConnection(id: string): Connection | undefined {
    return this.connections.get(id);
  }

  /** Every local connection. */
  localConnections(): IterableIterator<Connection> {
    return this.connections.values();
  }

  /**
   * Joins a room (see `Membership.join`).
   * @throws WsRoomsError synchronously for an invalid room name or `maxRoomsPerConnection`.
   */
  join(connection: Connection, room: string): Promise<void> {
    return this.membership.join(connection, room);
  }

  /** Leaves a room (a no-op when not a member). The promise never rejects. */
  leave(connection: Connection, room: string): Promise<void> {
    return this.membership.leave(connection, room);
  }

  /** Members with metadata of a presence-tracked room, on every node. */
  presenceOf(room: string): Promise<ClusterQueryResult<PresenceMember[]>> {
    if (this.presence === null) return Promise.resolve({ value: [], partial: false });
    return this.presence.members(room);
  }

  /** Runs a command for a connection here or, through the store, on another node. */
  async command(command: RemoteCommand): Promise<boolean> {
    if (command.kind === 'join' || command.kind === 'leave')
      assertRoomName(command.room, this.options);
    if (this.connections.has(command.connectionId)) return this.runLocally(command);
    return this.store.sendRemote(command);
  }

  /** Ends a connection from the server side, once. */
  close(connection: Connection, code: number, reason: string): void {
    this.closer.close(connection, code, reason);
  }

  /** Cuts a connection that does not read fast enough (1008). */
  cutSlowConsumer(connection: Connection, why: string): void {
    this.closer.cutSlowConsumer(connection, why);
  }

  // ---- socket events (ConnectionHost) ----

  received(connection: Connection, data: Buffer, isBinary: boolean): void {
    this.inbound.received(connection, data, isBinary);
  }

  pinged(connection: Connection, data: Buffer): void {
    this.inbound.pinged(connection, data);
  }

  ponged(connection: Connection): void {
    this.inbound.ponged(connection);
  }

  socketClosed(connection: Connection, code: number, reason: Buffer): void {
    this.closer.socketClosed(connection, code, reason);
  }

  socketFailed(connection: Connection, code: number): void {
    this.closer.close(connection, code, '');
  }

  // ---- wiring ----

  private runLocally(command: RemoteCommand): boolean | Promise<boolean> {
    return runCommandLocally(this.connections.get(command.connectionId), command, {
      membership: this.membership,
      closer: this.closer,
      recovery: this.recovery,
      logger: this.logger,
      logBudget: this.logBudget,
    });
  }

  private readonly heartbeatActions = {
    subjects: () => this.connections.values(),
    ping: (connection: Connection) => connection.ws.ping(),
    pongTimedOut: (connection: Connection) => {
      this.stats.pongTimeouts++;
      // A peer that does not answer pings will not answer a close frame either.
      this.closer.close(connection, 1006, 'pong timeout', 'server', true);
    },
    writeTimedOut: (connection: Connection) =>
      this.cutSlowConsumer(connection, 'send queue did not drain within writeTimeout'),
  };
}
