import { Logger } from '@nestjs/common';
import type { WebSocketServer } from 'ws';
import type { Connection } from '../connection/connection';
import type { ConnectionLimits } from '../connection/connection-host.interface';
import type { ConnectionHost } from '../connection/connection';
import { createWebSocketServer } from '../connection/websocket-server';
import type { BroadcastOperator } from '../interfaces/broadcast-operator.interface';
import type { ResolvedWsRoomsOptions } from '../options/ws-rooms-options.interface';
import { type EmitValue, MessageCodec } from '../protocol/message-codec';
import type { RecoveryStore } from '../store/recovery-store.interface';
import { RoomIndex } from '../store/room-index';
import type { LocalNode, RemoteCommand, RoomStore } from '../store/room-store.interface';
import { describeError } from '../util/describe-error';
import { InFlight } from '../util/in-flight';
import { LogBudget } from '../util/log-budget';
import type { Scheduler } from '../util/scheduler';
import { ConnectionLimiter } from './admission/connection-limiter';
import { UpgradeAdmission } from './admission/upgrade-admission';
import {
  createIdentityExtension,
  createPresenceExtension,
  createRecoveryExtension,
  type ExtensionContext,
} from './extensions/create-extensions';
import type { PresenceExtension } from './extensions/presence-extension';
import type { RecoveryExtension } from './extensions/recovery-extension';
import type { ServerExtension } from './extensions/server-extension';
import { FloodGuard } from './inbound/flood-guard';
import { HandlerInvoker } from './inbound/handler-invoker';
import { HandlerRegistry } from './inbound/handler-registry';
import { InboundDispatcher } from './inbound/inbound-dispatcher';
import { ConnectionAcceptor } from './lifecycle/connection-acceptor';
import { ConnectionCloser } from './lifecycle/connection-closer';
import { ConnectionRegistry } from './lifecycle/connection-registry';
import { Heartbeat, type HeartbeatActions } from './lifecycle/heartbeat';
import { FragmentWatch } from './inbound/fragment-watch';
import { Delivery } from './outbound/delivery';
import { Recipients } from './outbound/recipients';
import { RequestManager } from './requests/request-manager';
import { type BroadcastSink, RoomBroadcastOperator } from './rooms/broadcast-operator';
import { Membership } from './rooms/membership';
import { runCommandLocally } from './rooms/remote-commands';
import { assertRoomName } from './rooms/room-name';
import { createStats, type WsRoomsStats } from './server-stats';

/** What the wiring needs from the endpoint that owns the parts. */
export interface EndpointPorts {
  /** The host every accepted connection holds (the endpoint's facade). */
  readonly host: ConnectionHost;
  /** True while upgrades are welcome: started and not shutting down. */
  isAvailable(): boolean;
}

/**
 * The parts of one endpoint, built and connected through their ports: the composition root of
 * `WsRoomsServer`, which keeps only start, shutdown and delegation. No part receives this object;
 * each gets the few functions it needs, bound here. See `ARCHITECTURE.md`.
 */
export class EndpointParts {
  readonly logger: Logger;
  readonly logBudget: LogBudget;
  readonly inFlight: InFlight;
  readonly codec: MessageCodec;
  readonly index = new RoomIndex();
  readonly stats: WsRoomsStats = createStats(this.index);
  readonly limits: ConnectionLimits;
  readonly handlers = new HandlerRegistry();
  readonly connections: ConnectionRegistry;
  readonly limiter: ConnectionLimiter;
  readonly wss: WebSocketServer;
  readonly delivery: Delivery;
  readonly requests: RequestManager;
  readonly presence: PresenceExtension | null;
  readonly recovery: RecoveryExtension | null;
  readonly recoveryStore: RecoveryStore | null;
  readonly membership: Membership;
  readonly closer: ConnectionCloser;
  readonly invoker: HandlerInvoker;
  readonly inbound: InboundDispatcher;
  readonly acceptor: ConnectionAcceptor;
  readonly admission: UpgradeAdmission;
  readonly heartbeat: Heartbeat<Connection>;
  readonly fragments: FragmentWatch;

  constructor(
    private readonly options: ResolvedWsRoomsOptions,
    private readonly store: RoomStore,
    scheduler: Scheduler,
    ports: EndpointPorts,
  ) {
    this.logger = new Logger(`WsRooms:${options.name}`);
    this.logBudget = new LogBudget(this.logger);
    this.inFlight = new InFlight((error) => this.logger.error(describeError(error)));
    const track = (result: unknown) => this.inFlight.track(result);
    const close = (connection: Connection, code: number, reason: string) =>
      this.closer.close(connection, code, reason);
    this.codec = new MessageCodec(options.messagePrefix, {
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
    this.requests = new RequestManager(
      this.delivery,
      recipients,
      store,
      options.requestTimeout,
      options.maxPendingRequests,
    );
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
    const extensions: ServerExtension[] = [createIdentityExtension()];
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
      scheduler.now(),
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
        close,
        onError: options.onError,
        eventNameLimits: { maxEventNameLength: options.maxEventNameLength },
        maxPendingHandlers: options.maxPendingHandlers,
      },
    );
    this.wss = createWebSocketServer(options);
    this.acceptor = new ConnectionAcceptor(
      options,
      ports.host,
      this.connections,
      this.limiter,
      store,
      flood,
      this.handlers,
      this.recovery,
      extensions,
      this.logger,
      {
        isAvailable: () => ports.isAvailable(),
        now: () => scheduler.now(),
        track,
        close,
        hold: (connection) => this.inbound.hold(connection),
        release: (connection) => this.inbound.release(connection),
      },
    );
    this.admission = new UpgradeAdmission(
      options,
      this.limiter,
      this.wss,
      this.stats,
      this.logger,
      {
        isAvailable: () => ports.isAvailable(),
        hasConnection: (id) => this.connections.has(id),
        resume:
          recovery === null
            ? undefined
            : (request, owner) => this.recovery!.resumeRequested(request, owner),
        accept: (...args) => this.acceptor.accept(...args),
      },
    );
    this.heartbeat = new Heartbeat<Connection>(options, this.heartbeatActions(), scheduler);
    this.connections.watcher = this.heartbeat;
    this.fragments = new FragmentWatch(options.fragmentTimeout, scheduler, {
      connections: () => this.connections.values(),
      close,
      warn: (message) => this.logger.warn(message),
    });
  }

  /** A broadcast operator with no target yet; `senderId` makes `NotMe` meaningful. */
  broadcastFrom(senderId: string | undefined): BroadcastOperator {
    return new RoomBroadcastOperator(this.sink, senderId);
  }

  /** Runs a command for a connection here or, through the store, on another node. */
  async command(command: RemoteCommand): Promise<boolean> {
    if (command.kind === 'join' || command.kind === 'leave')
      assertRoomName(command.room, this.options);
    if (this.connections.has(command.connectionId)) return this.runLocally(command);
    return this.store.sendRemote(command);
  }

  /** What the store may ask of this node (see `RoomStore.start`). */
  localNode(): LocalNode {
    return {
      index: this.index,
      connectionIds: () => this.connections.ids(),
      hasConnection: (id) => this.connections.has(id),
      isConnectionId: this.options.isConnectionId,
      deliverLocally: (broadcast, offset) => this.delivery.deliverLocally(broadcast, offset),
      runLocally: (command) => this.runLocally(command),
      requestLocally: (request) => this.requests.requestLocally(request),
    };
  }

  private runLocally(command: RemoteCommand): boolean | Promise<boolean> {
    return runCommandLocally(this.connections.get(command.connectionId), command, {
      membership: this.membership,
      closer: this.closer,
      recovery: this.recovery,
      logger: this.logger,
      logBudget: this.logBudget,
    });
  }

  private readonly sink: BroadcastSink = {
    broadcast: (...args) => this.delivery.broadcast(...args),
    encodeEvent: (event: string, value: EmitValue) => this.delivery.encodeEvent(event, value),
    encodeNative: (data: string | Uint8Array) => this.delivery.encodeNative(data),
    isBinaryFrame: (message: Buffer) => this.delivery.isBinaryFrame(message),
    requestAll: (...args) => this.requests.requestAll(...args),
  };

  private heartbeatActions(): HeartbeatActions<Connection> {
    return {
      ping: (connection) => connection.ws.ping(),
      pongTimedOut: (connection) => {
        this.stats.pongTimeouts++;
        // A peer that does not answer pings will not answer a close frame either.
        this.closer.close(connection, 1006, 'pong timeout', 'server', true);
      },
      writeTimedOut: (connection) =>
        this.closer.cutSlowConsumer(connection, 'send queue did not drain within writeTimeout'),
    };
  }
}
