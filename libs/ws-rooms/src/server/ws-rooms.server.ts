import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { CanActivate } from '@nestjs/common';
import type { Connection } from '../connection/connection';
import type { ConnectionLimits } from '../connection/connection-host.interface';
import type { ConnectionHost } from '../connection/connection';
import { CloseCode } from '../errors/close-codes';
import type {
  BroadcastOperator,
  BroadcastRequestResult,
} from '../interfaces/broadcast-operator.interface';
import type { WsRoomsServer as PublicWsRoomsServer } from '../interfaces/ws-rooms-server.interface';
import type { ResolvedWsRoomsOptions } from '../options/ws-rooms-options.interface';
import type { EmitValue, MessageCodec } from '../protocol/message-codec';
import type { PresenceMember } from '../store/presence-store.interface';
import type { RoomIndex } from '../store/room-index';
import type { ClusterQueryResult, RemoteCommand, RoomStore } from '../store/room-store.interface';
import { monotonicNow } from '../util/clock';
import { type Scheduler, systemScheduler } from '../util/scheduler';
import { waitForClose, within } from '../util/timers';
import { EndpointParts } from './endpoint-parts';
import type { InboundDispatcher } from './inbound/inbound-dispatcher';
import type { Delivery } from './outbound/delivery';
import type {
  ConnectionHook,
  DisconnectHook,
  EventHandler,
  NativeHandler,
} from './inbound/handler-registry';
import type { WsRoomsStats } from './server-stats';

export type { ConnectionHook, DisconnectHook, EventHandler, NativeHandler };

/**
 * One websocket endpoint. A facade: it wires the parts (admission, connections, inbound dispatch,
 * requests, delivery, membership, close, and the presence and recovery extensions), starts and
 * stops them, and offers the operations the module, the adapter, the services and the connections
 * use. The parts never see it; each gets the narrow ports it needs. See `ARCHITECTURE.md`.
 * Internal (`ws-rooms/internal`): applications see it as the `WsRoomsServer` interface of the root.
 */
export class WsRoomsServer implements ConnectionHost, PublicWsRoomsServer {
  readonly codec: MessageCodec;
  readonly index: RoomIndex;
  readonly stats: WsRoomsStats;
  readonly limits: ConnectionLimits;
  private readonly parts: EndpointParts;
  // The two parts on the per-message and per-recipient paths, one property load away.
  private readonly delivery: Delivery;
  private readonly inbound: InboundDispatcher;
  private startup: Promise<void> | undefined;
  private started = false;
  private shuttingDown = false;

  constructor(
    readonly options: ResolvedWsRoomsOptions,
    readonly store: RoomStore = options.store,
    scheduler: Scheduler = systemScheduler,
  ) {
    this.parts = new EndpointParts(options, store, scheduler, {
      host: this,
      isAvailable: () => this.started && !this.shuttingDown,
    });
    this.codec = this.parts.codec;
    this.index = this.parts.index;
    this.stats = this.parts.stats;
    this.limits = this.parts.limits;
    this.delivery = this.parts.delivery;
    this.inbound = this.parts.inbound;
  }

  /** The endpoint's name (`name` option), which tokens and logs use. */
  get name(): string {
    return this.options.name;
  }

  /** Number of live connections on this node. */
  get connectionCount(): number {
    return this.parts.connections.size;
  }

  // ---- registration (by the explorer / adapter, before start) ----

  /** Sets the (DI-resolved) guards run on every upgrade request. */
  setHandshakeGuards(guards: readonly CanActivate[]): void {
    this.parts.admission.setHandshakeGuards(guards);
  }

  /** Adds a handler for an event; several handlers of one event run in registration order. */
  addEventHandler(event: string, handler: EventHandler): void {
    this.parts.handlers.addEventHandler(event, handler);
  }

  /** Adds a native message handler. */
  addNativeHandler(handler: NativeHandler): void {
    this.parts.handlers.native.push(handler);
  }

  /** Adds a connection hook; hooks run in registration order. */
  addConnectionHook(hook: ConnectionHook): void {
    this.parts.handlers.connectionHooks.push(hook);
  }

  /** Adds a disconnect hook; hooks run in registration order. */
  addDisconnectHook(hook: DisconnectHook): void {
    this.parts.handlers.disconnectHooks.push(hook);
  }

  /** True when some handler serves this event. */
  hasEventHandler(event: string): boolean {
    return this.parts.handlers.eventHandlers(event) !== undefined;
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
    if (this.parts.admission.allowsEveryOrigin && this.options.checkOrigin === undefined) {
      this.parts.logger.warn(
        'allowedOrigins contains "*": every origin may open a websocket to this endpoint',
      );
    }
    await this.store.start(this.parts.localNode());
    await this.parts.recoveryStore?.start?.();
    this.parts.heartbeat.start();
    this.parts.fragments.start();
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
    this.parts.heartbeat.stop();
    this.parts.fragments.stop();
    this.parts.admission.abortPending();
    const closed: Promise<void>[] = [];
    for (const connection of [...this.parts.connections.values()]) {
      closed.push(waitForClose(connection.ws));
      this.close(connection, CloseCode.GoingAway, 'server shutting down');
    }
    await within(
      Promise.all([...closed, this.parts.inFlight.idle(), this.parts.invoker.idle()]),
      this.options.closeTimeout,
    );
    this.parts.closer.destroyClosing();
    await new Promise<void>((resolve) => this.parts.wss.close(() => resolve()));
    // The last leaves must reach the presence store before the store's connections go.
    if (this.parts.presence !== null) {
      await within(this.parts.presence.idle(), Math.max(0, deadline - monotonicNow()));
    }
    await within(this.store.close(), Math.max(100, deadline - monotonicNow()));
  }

  /** Handles an HTTP upgrade for this endpoint's path (see `UpgradeAdmission`). Never throws. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    return this.parts.admission.handleUpgrade(request, socket, head);
  }

  // ---- what connections, services and the store use ----

  /** One event message, framed for one recipient (`connection.emit`). */
  frameEvent(event: string, value: EmitValue, binary = false): Buffer {
    return this.delivery.frameEvent(event, value, binary);
  }

  /** One native message, framed for one recipient. */
  frameNative(data: string | Uint8Array, binary = false): Buffer {
    return this.delivery.frameNative(data, binary);
  }

  /** Flushes the connection's queued frames at the end of this event-loop turn. */
  scheduleFlush(connection: Connection): void {
    this.delivery.scheduleFlush(connection);
    this.parts.heartbeat.wrote(connection);
  }

  /** Bytes went out outside a corked batch: the heartbeat watches for a write stall. */
  wrote(connection: Connection): void {
    this.parts.heartbeat.wrote(connection);
  }

  /** A broadcast operator with no target yet; `senderId` makes `NotMe` meaningful. */
  broadcastFrom(senderId: string | undefined): BroadcastOperator {
    return this.parts.broadcastFrom(senderId);
  }

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
    return this.parts.requests.request(connection, event, value, timeout);
  }

  /** Sends one request to every recipient, on every node, and collects the answers. */
  requestAll(
    rooms: readonly string[] | null,
    except: readonly string[],
    event: string,
    value: EmitValue,
    timeout?: number,
  ): Promise<BroadcastRequestResult<unknown>> {
    return this.parts.requests.requestAll(rooms, except, event, value, timeout);
  }

  /** The local connection with this id. */
  getConnection(id: string): Connection | undefined {
    return this.parts.connections.get(id);
  }

  /** Every local connection. */
  localConnections(): IterableIterator<Connection> {
    return this.parts.connections.values();
  }

  /**
   * Joins a room (see `Membership.join`).
   * @throws WsRoomsError synchronously for an invalid room name or `maxRoomsPerConnection`.
   */
  join(connection: Connection, room: string): Promise<void> {
    return this.parts.membership.join(connection, room);
  }

  /** Leaves a room (a no-op when not a member). The promise never rejects. */
  leave(connection: Connection, room: string): Promise<void> {
    return this.parts.membership.leave(connection, room);
  }

  /** Members with metadata of a presence-tracked room, on every node. */
  presenceOf(room: string): Promise<ClusterQueryResult<PresenceMember[]>> {
    if (this.parts.presence === null) return Promise.resolve({ value: [], partial: false });
    return this.parts.presence.members(room);
  }

  /** Runs a command for a connection here or, through the store, on another node. */
  command(command: RemoteCommand): Promise<boolean> {
    return this.parts.command(command);
  }

  /** Ends a connection from the server side, once. */
  close(connection: Connection, code: number, reason: string): void {
    this.parts.closer.close(connection, code, reason);
  }

  /** Cuts a connection that does not read fast enough (1008). */
  cutSlowConsumer(connection: Connection, why: string): void {
    this.parts.closer.cutSlowConsumer(connection, why);
  }

  // ---- socket events (ConnectionHost, documented there) ----

  received(connection: Connection, data: Buffer, isBinary: boolean): void {
    this.inbound.received(connection, data, isBinary);
  }

  pinged(connection: Connection, data: Buffer): void {
    this.inbound.pinged(connection, data);
    // The pong it answers with is a write too.
    this.parts.heartbeat.wrote(connection);
  }

  ponged(connection: Connection): void {
    this.inbound.ponged(connection);
  }

  socketClosed(connection: Connection, code: number, reason: Buffer): void {
    this.parts.closer.socketClosed(connection, code, reason);
  }

  socketFailed(connection: Connection, code: number): void {
    this.parts.closer.close(connection, code, '');
  }
}
