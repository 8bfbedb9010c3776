import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type CanActivate, Logger } from '@nestjs/common';
import { isObservable, lastValueFrom } from 'rxjs';
import WebSocket, { WebSocketServer } from 'ws';
import { Connection } from '../connection/connection';
import type { ConnectionHost, ConnectionLimits } from '../connection/connection-host.interface';
import { CloseCode } from '../errors/close-codes';
import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import type {
  BroadcastOperator,
  BroadcastRequestResult,
} from '../interfaces/broadcast-operator.interface';
import type { DisconnectInfo } from '../interfaces/ws-connection.interface';
import { OriginPolicy } from '../options/origin-policy';
import type { ResolvedWsRoomsOptions } from '../options/ws-rooms-options.interface';
import { frameMessage } from '../protocol/frame';
import { type DecodedValue, type EmitValue, MessageCodec } from '../protocol/message-codec';
import { ReservedEvent, RESERVED_EVENT_PREFIX } from '../protocol/protocol.constants';
import { MemoryRoomStore } from '../store/memory-room-store';
import { RoomIndex } from '../store/room-index';
import type {
  OutboundBroadcast,
  OutboundRequest,
  RemoteCommand,
  RoomStore,
} from '../store/room-store.interface';
import { RoomBroadcastOperator, type BroadcastSink } from './broadcast-operator';
import { describeError } from './describe-error';
import { Heartbeat, type Scheduler, systemScheduler } from './heartbeat';
import {
  countError,
  createStats,
  type UpgradeRefusalReason,
  type WsRoomsStats,
} from './server-stats';
import { WriteBatcher } from './write-batcher';
import { PresenceTracker } from './presence-tracker';
import { PresenceCoordinator, type PresenceOutlet } from './presence-coordinator';
import { newSessionToken, RecoveryLog } from './recovery-log';
import { MemoryPresenceStore } from '../store/memory-presence-store';
import type { PresenceMember } from '../store/presence-store.interface';
import type {
  RecordedBroadcast,
  RecoveryFailure,
  RecoveryStore,
  SuspendedSession,
} from '../store/recovery-store.interface';
import type { ClusterQueryResult } from '../store/room-store.interface';
import { after } from './maybe-promise';
import { ConnectionLimiter } from './connection-limiter';
import { HandshakeExecutionContext } from './handshake-context';
import {
  errorReplyPayload,
  parseReply,
  parseRequest,
  replyPayload,
  requestPayload,
  type ReplyError,
} from '../protocol/reserved-messages';

/** An endpoint-level event handler: gateways' `@OnEvent` methods once bound by the explorer. */
export type EventHandler = (connection: Connection, value: DecodedValue, event: string) => unknown;
/** An endpoint-level native message handler (`@OnMessage`). */
export type NativeHandler = (connection: Connection, data: Buffer) => unknown;
/** A connection hook (`onWsConnection`). */
export type ConnectionHook = (connection: Connection) => unknown;
/** A disconnect hook (`onWsDisconnect`). */
export type DisconnectHook = (connection: Connection, info: DisconnectInfo) => unknown;

const kConnection = Symbol('ws-rooms.connection');
type TaggedWebSocket = WebSocket & { [kConnection]?: Connection };
const MAX_ID_ATTEMPTS = 5;

/**
 * One websocket endpoint: the upgrade, the connections, their rooms and the dispatch of their
 * messages. It owns the event protocol; Nest-specific binding lives in the adapter and the explorer.
 */
export class WsRoomsServer implements ConnectionHost, BroadcastSink {
  readonly codec: MessageCodec;
  readonly index = new RoomIndex();
  readonly stats: WsRoomsStats = createStats(this.index);
  readonly limits: ConnectionLimits;
  private readonly connections = new Map<string, Connection>();
  private readonly wss: WebSocketServer;
  private readonly originPolicy: OriginPolicy;
  private readonly batcher = new WriteBatcher();
  private readonly heartbeat: Heartbeat<Connection>;
  private readonly eventHandlers = new Map<string, EventHandler[]>();
  private readonly nativeHandlers: NativeHandler[] = [];
  private readonly connectionHooks: ConnectionHook[] = [];
  private readonly disconnectHooks: DisconnectHook[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly logger: Logger;
  private started = false;
  private shuttingDown = false;

  constructor(
    readonly options: ResolvedWsRoomsOptions,
    readonly store: RoomStore = new MemoryRoomStore(),
    scheduler: Scheduler = systemScheduler,
  ) {
    this.codec = new MessageCodec(options.prefix, {
      maxEventNameLength: options.maxEventNameLength,
      maxJsonDepth: options.maxJsonDepth,
    });
    this.recovery = options.recovery
      ? (store.createRecoveryStore?.(options.recovery) ??
        new RecoveryLog(options.recovery.windowMs, options.recovery.maxMessages))
      : null;
    this.presence = options.presence
      ? new PresenceCoordinator(
          new PresenceTracker(options.presence),
          store.createPresenceStore?.() ?? new MemoryPresenceStore(),
          this.presenceOutlet,
        )
      : null;
    this.limiter = new ConnectionLimiter(options.maxConnections, options.maxConnectionsPerAddress);
    this.limits = {
      maxBufferedBytes: options.maxBufferedBytes,
      writeBufferSize: options.writeBufferSize,
    };
    this.originPolicy = new OriginPolicy(options.allowedOrigins);
    this.logger = new Logger(`WsRooms:${options.name}`);
    this.scheduler = scheduler;
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      // No context takeover: a compressed connection then costs no zlib window between messages.
      perMessageDeflate: options.perMessageDeflate
        ? { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: 256 }
        : false,
      maxPayload: options.maxMessageSize,
      closeTimeout: options.closeTimeout,
      // Bound the receiver's memory for fragmented messages in line with the message size limit.
      maxFragments: Math.max(16, Math.ceil(options.maxMessageSize / 64)),
    } as WebSocket.ServerOptions);
    this.heartbeat = new Heartbeat<Connection>(options, this.heartbeatActions, scheduler);
  }

  private readonly scheduler: Scheduler;
  private readonly limiter: ConnectionLimiter;
  private readonly recovery: RecoveryStore | null;
  /** Presence of opted-in rooms; null when the `presence` option is off. */
  private readonly presence: PresenceCoordinator | null;
  private handshakeGuards: readonly CanActivate[] = [];

  /** Sets the (DI-resolved) guards run on every upgrade request. */
  setHandshakeGuards(guards: readonly CanActivate[]): void {
    this.handshakeGuards = guards;
  }

  get name(): string {
    return this.options.name;
  }

  /** Number of live connections on this node. */
  get connectionCount(): number {
    return this.connections.size;
  }

  // ---- registration (by the explorer / adapter, before start) ----

  /** Adds a handler for an event; several handlers of one event run in registration order. */
  addEventHandler(event: string, handler: EventHandler): void {
    const list = this.eventHandlers.get(event);
    if (list === undefined) this.eventHandlers.set(event, [handler]);
    else list.push(handler);
  }

  /** Adds a native message handler. */
  addNativeHandler(handler: NativeHandler): void {
    this.nativeHandlers.push(handler);
  }

  /** Adds a connection hook; hooks run in registration order. */
  addConnectionHook(hook: ConnectionHook): void {
    this.connectionHooks.push(hook);
  }

  /** Adds a disconnect hook; hooks run in registration order. */
  addDisconnectHook(hook: DisconnectHook): void {
    this.disconnectHooks.push(hook);
  }

  /** True when some handler serves this event. */
  hasEventHandler(event: string): boolean {
    return this.eventHandlers.has(event);
  }

  // ---- lifecycle ----

  /** Starts the heartbeat and the store. The upgrade router calls {@link handleUpgrade}. */
  start(): Promise<void> {
    // One promise for every caller (the adapter and the module both start the server), so that a
    // store that fails to start (e.g. Redis unreachable) fails the bootstrap that awaits it.
    this.startup ??= this.startOnce();
    return this.startup;
  }

  private startup: Promise<void> | undefined;

  private async startOnce(): Promise<void> {
    this.started = true;
    if (this.originPolicy.allowsEveryOrigin && this.options.checkOrigin === undefined) {
      this.logger.warn(
        'allowedOrigins contains "*": every origin may open a websocket to this endpoint',
      );
    }
    await this.store.start({
      index: this.index,
      connectionIds: () => this.connections.keys(),
      hasConnection: (id) => this.connections.has(id),
      isConnectionId: (name) => this.connections.has(name),
      deliverLocally: (broadcast, offset) => this.deliverLocally(broadcast, offset),
      runLocally: (command) => this.runLocally(command),
      requestLocally: (request) => this.requestLocally(request),
    });
    await this.recovery?.start?.();
    this.heartbeat.start();
  }

  /**
   * Graceful shutdown: refuses new upgrades, closes every connection with 1001 (disconnect
   * handlers run), waits for close handshakes and in-flight handlers up to `closeTimeout`, then
   * destroys what is left and stops every timer.
   */
  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.heartbeat.stop();
    const closed: Promise<void>[] = [];
    for (const connection of [...this.connections.values()]) {
      closed.push(waitForClose(connection.ws));
      this.close(connection, CloseCode.GoingAway, 'server shutting down');
    }
    const deadline = delay(this.options.closeTimeout);
    await Promise.race([
      Promise.all([...closed, ...this.inFlight, this.handlersDone()]),
      deadline.promise,
    ]);
    deadline.cancel();
    for (const connection of this.connectionsClosing) connection.ws.terminate();
    this.connectionsClosing.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    // The last leaves must reach the presence store before the store's connections go.
    if (this.presence !== null) {
      const settled = delay(this.options.closeTimeout);
      await Promise.race([this.presence.idle(), settled.promise]);
      settled.cancel();
    }
    await this.store.close();
  }

  private readonly connectionsClosing = new Set<Connection>();

  // ---- upgrade ----

  /**
   * Handles an HTTP upgrade for this endpoint's path, in order: capacity (503), origin (403),
   * authentication (401), handshake guards (403), id. Every refusal is an HTTP answer before the
   * upgrade, so a refused socket never reaches room state. Never throws.
   */
  async handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (this.shuttingDown || !this.started) {
      return this.refuse(request, socket, 503, 'Service Unavailable', 'unavailable');
    }
    const address = request.socket.remoteAddress ?? '';
    const overLimit = this.limiter.tryAcquire(address);
    if (overLimit !== null) return this.refuse(request, socket, 503, overLimit, 'capacity');
    let accepted = false;
    try {
      const verdict = await this.admit(request);
      if (verdict !== null)
        return this.refuse(request, socket, verdict.status, verdict.reason, verdict.cause);
      const resume = this.recovery === null ? null : await this.resumeRequested(request);
      const id = resume?.ok ? resume.session.id : this.createId(request);
      if (id === null)
        return this.refuse(request, socket, 500, 'Could not assign a connection id', 'id');
      if (socket.destroyed) return;
      // A verdict that arrives during shutdown must still answer: an unanswered socket would hold
      // the HTTP server's close (and the shutdown) open for as long as the client waits.
      if (this.shuttingDown)
        return this.refuse(request, socket, 503, 'Service Unavailable', 'unavailable');
      accepted = true;
      this.wss.handleUpgrade(request, socket, head, (ws) =>
        this.accept(ws, request, socket, id, address, resume),
      );
    } catch (error) {
      this.logger.error(`upgrade failed: ${describeError(error)}`);
      this.refuse(request, socket, 500, 'Internal Server Error', 'error');
    } finally {
      // `ws` completes (or refuses: bad key, version) the handshake synchronously, so an upgrade that
      // did not reach accept by now never will: its slot is freed here, without a listener that
      // would keep the request alive for the connection's lifetime.
      if (!accepted || !this.acceptedSockets.has(socket)) this.limiter.release(address);
    }
  }

  private readonly acceptedSockets = new WeakSet<Duplex>();

  /**
   * Reads the recovery request of the modern client from the upgrade URL:
   * `ws-rooms-recovery=1` opts in; `ws-rooms-session=<token>&ws-rooms-offset=<n>` resumes.
   * Returns null when the client did not opt in.
   */
  private async resumeRequested(request: IncomingMessage): Promise<ResumeRequest | null> {
    const url = request.url ?? '';
    if (!url.includes('ws-rooms-recovery=')) return null;
    const query = new URL(url, 'http://localhost').searchParams;
    if (query.get('ws-rooms-recovery') !== '1') return null;
    const token = query.get('ws-rooms-session');
    if (token === null) return { ok: false, reason: null };
    const afterOffset = Number(query.get('ws-rooms-offset') ?? 'NaN');
    const owner = ownerKey((request as IncomingMessage & { principal?: unknown }).principal);
    let result = await this.recovery!.take(token, afterOffset, owner, this.scheduler.now());
    // The client noticed the cut before its server did: the old connection still holds the session.
    const previousId = query.get('ws-rooms-id');
    if (!result.ok && result.reason === 'unknown-session' && previousId) {
      const command = { kind: 'takeover', connectionId: previousId, token, owner } as const;
      if (await this.command(command)) {
        result = await this.recovery!.take(token, afterOffset, owner, this.scheduler.now());
      }
    }
    if (!result.ok) return { ok: false, reason: result.reason };
    if (this.connections.has(result.session.id)) return { ok: false, reason: 'id-in-use' };
    return { ok: true, session: result.session, afterOffset };
  }

  /** Origin, authentication and guards; null when the upgrade may go on. */
  private async admit(
    request: IncomingMessage,
  ): Promise<{ status: number; reason: string; cause: UpgradeRefusalReason } | null> {
    const originAccepted = this.options.checkOrigin
      ? await this.options.checkOrigin(request)
      : this.originPolicy.accepts(request);
    if (originAccepted !== true)
      return { status: 403, reason: 'Origin not allowed', cause: 'origin' };
    const upgrade = request as IncomingMessage & { principal?: unknown; user?: unknown };
    if (this.options.authenticate !== undefined) {
      let principal: unknown;
      try {
        principal = await this.options.authenticate(request);
      } catch (error) {
        const status = httpStatusOf(error);
        if (status === undefined) throw error;
        return { status, reason: (error as Error).message || 'Unauthorized', cause: 'auth' };
      }
      if (principal === undefined || principal === null || principal === false) {
        return { status: 401, reason: 'Unauthorized', cause: 'auth' };
      }
      upgrade.principal = principal;
    }
    if (this.handshakeGuards.length > 0) {
      const context = new HandshakeExecutionContext(request, WsRoomsServer, this.handleUpgrade);
      for (const guard of this.handshakeGuards) {
        let allowed: unknown;
        try {
          const result = guard.canActivate(context);
          allowed = isObservable(result) ? await lastValueFrom(result) : await result;
        } catch (error) {
          const status = httpStatusOf(error);
          if (status === undefined) throw error;
          return { status, reason: (error as Error).message || 'Forbidden', cause: 'guard' };
        }
        if (allowed !== true) return { status: 403, reason: 'Forbidden', cause: 'guard' };
      }
      if (upgrade.principal === undefined && upgrade.user !== undefined)
        upgrade.principal = upgrade.user;
    }
    return null;
  }

  private refuse(
    request: IncomingMessage,
    socket: Duplex,
    status: number,
    reason: string,
    cause: UpgradeRefusalReason,
  ): void {
    this.stats.upgradesRefused++;
    this.stats.upgradesRefusedByReason[cause]++;
    this.options.error({ request, socket }, status, reason);
  }

  private createId(request: IncomingMessage): string | null {
    for (let attempt = 0; attempt < MAX_ID_ATTEMPTS; attempt++) {
      const id = this.options.idGenerator(request);
      if (typeof id === 'string' && id.length > 0 && !this.connections.has(id)) return id;
    }
    this.logger.error('idGenerator returned an empty or already used id; upgrade refused');
    return null;
  }

  private accept(
    ws: WebSocket,
    request: IncomingMessage,
    socket: Duplex,
    id: string,
    address: string,
    resume: ResumeRequest | null = null,
  ): void {
    this.acceptedSockets.add(socket);
    if (this.shuttingDown || this.connections.has(id)) {
      this.limiter.release(address);
      ws.close(CloseCode.GoingAway, 'server shutting down');
      return;
    }
    const connection = new Connection(
      id,
      ws,
      socket,
      this,
      this.options.headers
        ? {
            method: request.method,
            url: request.url,
            httpVersion: request.httpVersion,
            headers: request.headers,
          }
        : undefined,
      request.socket.remoteAddress,
      this.scheduler.now(),
    );
    connection.principal = (request as IncomingMessage & { principal?: unknown }).principal;
    connection.compressed = ws.extensions !== '';
    connection.rateTokens = this.options.maxMessageBurst;
    connection.rateRefilledAt = this.scheduler.now();
    connection.limiterKey = address;
    (ws as TaggedWebSocket)[kConnection] = connection;
    this.connections.set(id, connection);
    this.stats.connections = this.connections.size;
    this.stats.connectionsOpened++;
    ws.on('message', onSocketMessage);
    ws.on('pong', onSocketPong);
    ws.on('close', onSocketClose);
    ws.on('error', onSocketError);
    this.track(this.store.connected(id));
    if (resume === null) return this.runConnectionHooks(connection);
    const started = this.startRecoverableSession(connection, resume);
    if (started === undefined) return this.runConnectionHooks(connection);
    // The connection's messages wait for the replay, as they wait for asynchronous hooks.
    connection.ws.pause();
    this.track(
      started.then(() => {
        if (connection.closed) return;
        connection.ws.resume();
        this.runConnectionHooks(connection);
      }),
    );
  }

  /**
   * Tells an opted-in client its session (`ws-rooms:session`) and, when it resumed within the
   * window, gives back its rooms and replays what it missed, before any other message. With an
   * asynchronous log the replay is read once the connection is in its rooms again; broadcasts that
   * arrive meanwhile are held back and sent after it, those already replayed dropped by offset.
   * Returns a promise while the replay is pending.
   */
  private startRecoverableSession(
    connection: Connection,
    resume: ResumeRequest,
  ): Promise<void> | undefined {
    const recovery = this.recovery!;
    connection.recoveryToken = resume.ok ? resume.session.token : newSessionToken();
    if (!resume.ok) {
      const session: Record<string, unknown> = {
        id: connection.id,
        token: connection.recoveryToken,
        offset: recovery.head(),
        recovered: false,
      };
      if (resume.reason !== null) session.reason = resume.reason;
      connection.emit(ReservedEvent.Session, session);
      return undefined;
    }
    const { session, afterOffset } = resume;
    connection.heldBack = { frames: [], bytes: 0 };
    connection.joinedAt = new Map(Object.entries(session.joinedAt ?? {}));
    const routed: unknown[] = [];
    for (const room of session.rooms) {
      if (this.index.add(connection.id, room)) routed.push(this.store.joined(connection.id, room));
    }
    for (const result of routed) this.track(result);
    const replayed = after(recovery.missed(session, afterOffset, this.scheduler.now()), (missed) =>
      this.finishRecovery(connection, session, missed, routed),
    );
    if (!(replayed instanceof Promise)) return undefined;
    return replayed.catch((error: unknown) => {
      this.logger.error(`recovery of ${connection.id} failed: ${describeError(error)}`);
      this.finishRecovery(connection, session, null, routed);
    });
  }

  private finishRecovery(
    connection: Connection,
    session: SuspendedSession,
    missed: readonly RecordedBroadcast[] | null,
    routed: readonly unknown[],
  ): void {
    const held = connection.heldBack?.frames ?? [];
    connection.heldBack = undefined;
    if (connection.closed) return;
    if (missed === null) {
      // The log lost part of the gap since the session was taken: start over, like a fresh session.
      connection.joinedAt = undefined;
      for (const room of session.rooms) {
        if (this.index.remove(connection.id, room))
          this.track(this.store.left(connection.id, room));
      }
      connection.emit(ReservedEvent.Session, {
        id: connection.id,
        token: connection.recoveryToken,
        offset: this.recovery!.head(),
        recovered: false,
        reason: 'history-gone',
      });
      return;
    }
    connection.recovered = true;
    connection.emit(ReservedEvent.Session, {
      id: connection.id,
      token: connection.recoveryToken,
      recovered: true,
    });
    let lastOffset = 0;
    for (const entry of missed) {
      connection.sendFrame(this.wrappedFrame(entry), false);
      lastOffset = entry.offset;
    }
    for (const frame of held) {
      if (frame.offset !== undefined && frame.offset <= lastOffset) continue;
      if (connection.sendFrame(frame.bytes, frame.volatile)) {
        this.stats.messagesOut++;
        this.stats.bytesOut += frame.bytes.length;
      }
    }
    // The rooms saw this connection leave: announce it again, after the replay, so that the fresh
    // member list it gets supersedes the replayed presence changes.
    const presence = this.presence;
    if (presence === null) return;
    const ready = routed.some(isPromiseLike) ? Promise.all(routed) : undefined;
    for (const room of session.rooms) {
      if (presence.tracks(room)) this.track(presence.joined(connection, room, ready));
    }
  }

  /** A recorded broadcast as recovery-enabled clients receive it: `ws-rooms:m` with its offset. */
  private wrappedFrame(entry: Pick<RecordedBroadcast, 'offset' | 'message' | 'binary'>): Buffer {
    const head = Buffer.from(`${this.options.prefix}${ReservedEvent.Message};0;${entry.offset};`);
    return frameMessage(Buffer.concat([head, entry.message]), entry.binary);
  }

  private runConnectionHooks(connection: Connection): void {
    if (this.connectionHooks.length === 0) return;
    const waits: Promise<unknown>[] = [];
    for (const hook of this.connectionHooks) {
      try {
        const result = hook(connection);
        if (isPromiseLike(result)) waits.push(Promise.resolve(result));
      } catch (error) {
        return this.failConnectionHook(connection, error);
      }
    }
    if (waits.length === 0) return;
    // Messages wait until the asynchronous hooks are done, as they would after Iris' OnConnection.
    connection.ws.pause();
    this.track(
      Promise.all(waits).then(
        () => {
          if (!connection.closed) connection.ws.resume();
        },
        (error: unknown) => this.failConnectionHook(connection, error),
      ),
    );
  }

  private failConnectionHook(connection: Connection, error: unknown): void {
    this.logger.error(`connection hook failed for ${connection.id}: ${describeError(error)}`);
    this.close(connection, CloseCode.InternalError, 'connection hook failed');
  }

  // ---- inbound ----

  /** Dispatches one inbound data message of a connection (PROTOCOL.md section 2). */
  handleMessage(connection: Connection, data: Buffer): void {
    connection.awaitingPong = false;
    this.stats.messagesIn++;
    this.stats.bytesIn += data.length;
    if (this.options.maxMessageRate > 0 && !this.takeRateToken(connection)) return;
    const decoded = this.codec.decode(data);
    if (decoded.kind === 'native') {
      for (const handler of this.nativeHandlers)
        this.invoke(connection, undefined, () => handler(connection, data));
      for (const listener of connection.nativeMessageListeners) {
        this.invoke(connection, undefined, () => listener(data), false);
      }
      return;
    }
    if (decoded.kind === 'malformed') {
      this.stats.malformedMessages++;
      this.reportError(connection, decoded.error, decoded.event);
      this.options.onError?.(decoded.error, connection.id);
      return;
    }
    const { event, value } = decoded;
    if (event.startsWith(RESERVED_EVENT_PREFIX)) {
      this.handleReserved(connection, event, value);
      return;
    }
    const handlers = this.eventHandlers.get(event);
    const listeners = connection.listenersOf(event);
    if (handlers === undefined && listeners.length === 0) {
      this.stats.unhandledEvents++;
      return;
    }
    if (handlers !== undefined) {
      for (const handler of handlers)
        this.invoke(connection, event, () => handler(connection, value, event));
    }
    for (const listener of listeners) this.invoke(connection, event, () => listener(value), false);
  }

  /**
   * Token bucket: `maxMessageBurst` tokens, refilled at `maxMessageRate` per second. An empty bucket
   * closes the connection with 1008: a flood costs the server one comparison per message.
   */
  private takeRateToken(connection: Connection): boolean {
    const now = this.scheduler.now();
    const { maxMessageRate, maxMessageBurst } = this.options;
    const refill = ((now - connection.rateRefilledAt) * maxMessageRate) / 1000;
    connection.rateTokens = Math.min(maxMessageBurst, connection.rateTokens + refill);
    connection.rateRefilledAt = now;
    if (connection.rateTokens >= 1) {
      connection.rateTokens -= 1;
      return true;
    }
    this.stats.rateLimitCuts++;
    this.logger.warn(`closing ${connection.id}: message rate exceeded`);
    this.close(connection, CloseCode.PolicyViolation, 'message rate exceeded');
    return false;
  }

  /** The protocol extensions: requests and replies (other reserved names are ignored). */
  private handleReserved(connection: Connection, event: string, value: DecodedValue): void {
    if (event === ReservedEvent.Request) {
      const request = parseRequest(value);
      if (request === null) return this.invalidReserved(connection, event);
      const handlers = this.eventHandlers.get(request.event);
      if (handlers === undefined) {
        return this.sendReplyError(connection, request.id, {
          code: WsRoomsErrorCode.NoHandler,
          message: `no handler for event "${request.event}"`,
          status: 404,
        });
      }
      // The first handler's result is the reply; further handlers of the event still run.
      handlers.forEach((handler, index) =>
        this.invoke(
          connection,
          request.event,
          () => handler(connection, request.value, request.event),
          index === 0 ? { requestId: request.id } : false,
        ),
      );
      return;
    }
    if (event === ReservedEvent.Reply) {
      const reply = parseReply(value);
      if (reply === null) return this.invalidReserved(connection, event);
      const pending = connection.pendingRequests?.get(reply.id);
      if (pending === undefined) return;
      connection.pendingRequests!.delete(reply.id);
      clearTimeout(pending.timer);
      if (reply.ok) pending.resolve(reply.value);
      else pending.reject(replyError(reply.error));
      return;
    }
    this.stats.unhandledEvents++;
  }

  private invalidReserved(connection: Connection, event: string): void {
    this.stats.malformedMessages++;
    this.reportError(
      connection,
      new WsRoomsError(
        WsRoomsErrorCode.InvalidReservedMessage,
        `"${event}" payload is not a valid envelope`,
      ),
      event,
    );
  }

  private sendReplyError(connection: Connection, id: number, error: ReplyError): void {
    countError(this.stats, error.code);
    if (!connection.closed) connection.emit(ReservedEvent.Reply, errorReplyPayload(id, error));
  }

  /**
   * Sends a request to one connection and waits for its reply (`connection.request`).
   * @throws WsRoomsError (as a rejection) on timeout, closed connection or a failed reply.
   */
  request(
    connection: Connection,
    event: string,
    value: EmitValue,
    timeout: number = this.options.requestTimeout,
  ): Promise<unknown> {
    if (connection.closed) {
      return Promise.reject(
        new WsRoomsError(WsRoomsErrorCode.RequestAborted, 'connection is closed'),
      );
    }
    const id = connection.nextRequestId++;
    const frame = this.frameEvent(ReservedEvent.Request, requestPayload(id, event, value));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        connection.pendingRequests?.delete(id);
        reject(
          new WsRoomsError(
            WsRoomsErrorCode.RequestTimeout,
            `request "${event}" got no reply within ${timeout} ms`,
          ),
        );
      }, timeout);
      timer.unref();
      (connection.pendingRequests ??= new Map()).set(id, { resolve, reject, timer });
      connection.sendFrame(frame, false);
    });
  }

  /**
   * Runs one handler: its return value (or resolved value) goes back to the sender, its error
   * becomes an error event to the sender. Nothing a handler does can throw out of here.
   */
  private invoke(
    connection: Connection,
    event: string | undefined,
    call: () => unknown,
    replies: boolean | { readonly requestId: number } = true,
  ): void {
    const requestId = typeof replies === 'object' ? replies.requestId : undefined;
    let result: unknown;
    try {
      result = call();
    } catch (error) {
      this.handlerFailed(connection, event, error, requestId);
      return;
    }
    if (isPromiseLike(result)) {
      // Counted rather than tracked as a promise: one `then` per message, no extra allocations.
      this.handlersRunning++;
      result.then(
        (value) => {
          this.handlerSettled();
          if (replies !== false) this.reply(connection, event, value, requestId);
        },
        (error: unknown) => {
          this.handlerSettled();
          this.handlerFailed(connection, event, error, requestId);
        },
      );
    } else if (replies !== false) {
      this.reply(connection, event, result, requestId);
    }
  }

  private reply(
    connection: Connection,
    event: string | undefined,
    value: unknown,
    requestId?: number,
  ): void {
    if (connection.closed) return;
    if (requestId !== undefined) {
      // A request always gets an answer, `undefined` included (as null).
      try {
        connection.emit(ReservedEvent.Reply, replyPayload(requestId, value) as EmitValue);
      } catch (error) {
        this.handlerFailed(connection, event, error, requestId);
      }
      return;
    }
    if (value === undefined || value === null) return;
    try {
      if (isWsResponse(value)) connection.emit(value.event, value.data as EmitValue);
      else if (event !== undefined) connection.emit(event, value as EmitValue);
      else
        connection.emitMessage(
          typeof value === 'string' || value instanceof Uint8Array ? value : JSON.stringify(value),
        );
    } catch (error) {
      this.handlerFailed(connection, event, error);
    }
  }

  private handlerFailed(
    connection: Connection,
    event: string | undefined,
    error: unknown,
    requestId?: number,
  ): void {
    this.stats.handlerErrors++;
    const typed = toWsRoomsError(error);
    const status = httpStatusOf(error);
    if (requestId !== undefined) {
      const details = (typed as WsRoomsError & { details?: unknown }).details;
      return this.sendReplyError(connection, requestId, {
        code: typed.code,
        message: typed.message,
        status,
        details,
      });
    }
    this.reportError(connection, typed, event, status);
  }

  /** Sends the documented `ws-rooms:error` event to one connection. */
  reportError(connection: Connection, error: WsRoomsError, event?: string, status?: number): void {
    countError(this.stats, error.code);
    if (connection.closed) return;
    const payload: Record<string, unknown> = { code: error.code, message: error.message };
    if (event !== undefined) payload.event = event;
    if (status !== undefined) payload.status = status;
    const details = (error as WsRoomsError & { details?: unknown }).details;
    if (details !== undefined) payload.details = details;
    connection.emit(ReservedEvent.Error, payload);
  }

  // ---- outbound ----

  encodeEvent(event: string, value: EmitValue): Buffer {
    return this.codec.encodeEvent(event, value);
  }

  encodeNative(data: string | Uint8Array): Buffer {
    if (typeof data === 'string') return Buffer.from(data, 'utf8');
    if (data instanceof Uint8Array)
      return Buffer.isBuffer(data)
        ? data
        : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    throw new TypeError('emitMessage(): data must be a string or a Uint8Array');
  }

  /**
   * Text frames unless `binaryMessages` is on; bytes that are not UTF-8 always go binary, since a
   * text frame carrying them would make any client fail the connection (1007).
   */
  isBinaryFrame(message: Buffer, _isEvent: boolean): boolean {
    return this.options.binaryMessages || !isUtf8(message);
  }

  // frameEvent and frameNative frame the message of one direct send (emit, reply, request): it is
  // counted out here; broadcasts are counted in deliverLocally.
  frameEvent(event: string, value: EmitValue, binary = false): Buffer {
    const message = this.codec.encodeEvent(event, value);
    return this.countDirect(frameMessage(message, binary || this.isBinaryFrame(message, true)));
  }

  frameNative(data: string | Uint8Array, binary = false): Buffer {
    const message = this.encodeNative(data);
    return this.countDirect(frameMessage(message, binary || this.isBinaryFrame(message, false)));
  }

  private countDirect(frame: Buffer): Buffer {
    this.stats.messagesOut++;
    this.stats.bytesOut += frame.length;
    return frame;
  }

  /** A broadcast operator with no target yet; `senderId` makes `NotMe` meaningful. */
  broadcastFrom(senderId: string | undefined): BroadcastOperator {
    return new RoomBroadcastOperator(this, senderId);
  }

  /** Delivers a broadcast locally, then lets the store forward it to other nodes. */
  broadcast(
    message: Buffer,
    binary: boolean,
    rooms: readonly string[] | null,
    except: readonly string[],
    isVolatile: boolean,
  ): void {
    const broadcast: OutboundBroadcast = { message, binary, rooms, except, volatile: isVolatile };
    // A sequenced log numbers the broadcast cluster-wide and delivers it back here with its offset.
    if (!isVolatile && this.recovery?.sequence?.(broadcast) === true) return;
    this.deliverLocally(broadcast);
    this.store.publish(broadcast);
  }

  /** Frames once and queues the same bytes for every local recipient, each once. */
  deliverLocally(broadcast: OutboundBroadcast, offset?: number): void {
    const frame = frameMessage(broadcast.message, broadcast.binary);
    const isVolatile = broadcast.volatile;
    // Recovery: logged broadcasts have an offset, and opted-in clients get them wrapped with it.
    if (offset === undefined && !isVolatile && this.recovery?.record !== undefined) {
      offset = this.recovery.record(broadcast, this.scheduler.now());
    }
    let wrapped: Buffer | undefined;
    const queuedBefore = this.stats.messagesOut;
    this.forEachRecipient(broadcast.rooms, broadcast.except, (connection) => {
      let bytes = frame;
      if (offset !== undefined && connection.recoveryToken !== undefined) {
        bytes = wrapped ??= this.wrappedFrame({ offset, ...broadcast });
      }
      if (connection.heldBack !== undefined)
        return this.holdBack(connection, bytes, offset, isVolatile);
      if (connection.sendFrame(bytes, isVolatile)) this.stats.messagesOut++;
      else if (isVolatile) this.stats.volatileDrops++;
    });
    // Once per broadcast, not per recipient (recovery-wrapped copies are a few bytes longer).
    this.stats.bytesOut += (this.stats.messagesOut - queuedBefore) * frame.length;
  }

  /**
   * Keeps a broadcast for a connection whose replay is still being read; bounded like a send queue.
   */
  private holdBack(
    connection: Connection,
    bytes: Buffer,
    offset: number | undefined,
    isVolatile: boolean,
  ): void {
    const heldBack = connection.heldBack!;
    if (heldBack.bytes + bytes.length > this.options.maxBufferedBytes) {
      if (isVolatile) this.stats.volatileDrops++;
      else
        this.cutSlowConsumer(
          connection,
          'held-back messages over maxBufferedBytes during recovery',
        );
      return;
    }
    // Counted when sent: some are dropped as already replayed.
    heldBack.frames.push({ bytes, offset, volatile: isVolatile });
    heldBack.bytes += bytes.length;
  }

  /**
   * Visits every local connection a target reaches, once each: everyone (`rooms === null`), or the
   * members of the rooms (a connection id stands for its own room), minus the `except` rooms.
   */
  private forEachRecipient(
    rooms: readonly string[] | null,
    except: readonly string[],
    visit: (connection: Connection) => void,
  ): void {
    const excluded = except.length === 0 ? null : this.expand(except);
    if (rooms === null) {
      for (const connection of this.connections.values()) {
        if (excluded === null || !excluded.has(connection.id)) visit(connection);
      }
      return;
    }
    if (rooms.length === 1) {
      this.visitRoom(rooms[0], excluded, visit, false);
      return;
    }
    const seen = new Set<string>(excluded ?? undefined);
    for (const room of rooms) this.visitRoom(room, seen, visit, true);
  }

  private visitRoom(
    room: string,
    skip: Set<string> | null,
    visit: (connection: Connection) => void,
    remember: boolean,
  ): void {
    const own = this.connections.get(room);
    if (own !== undefined && (skip === null || !skip.has(room))) {
      if (remember) skip!.add(room);
      visit(own);
    }
    for (const id of this.index.membersOf(room)) {
      if (skip !== null && skip.has(id)) continue;
      if (remember) skip!.add(id);
      const connection = this.connections.get(id);
      if (connection !== undefined) visit(connection);
    }
  }

  /**
   * Sends one request to every recipient, here and (through the store) on the other nodes, and
   * collects what comes back (never rejects).
   */
  async requestAll(
    rooms: readonly string[] | null,
    except: readonly string[],
    event: string,
    value: EmitValue,
    timeout: number = this.options.requestTimeout,
  ): Promise<BroadcastRequestResult<unknown>> {
    const request = { rooms, except, event, value, timeout };
    const remote = this.store.requestRemote?.(request);
    const local = await this.requestLocally(request);
    if (remote === undefined) return local;
    const others = await remote;
    const replies = new Map([...local.replies, ...others.value.replies]);
    const errors = new Map([...local.errors, ...others.value.errors]);
    const missing = [...local.missing, ...others.value.missing];
    return { replies, errors, missing, partial: others.partial };
  }

  /** Sends one request to every local recipient and collects what comes back (never rejects). */
  async requestLocally({
    rooms,
    except,
    event,
    value,
    timeout,
  }: OutboundRequest): Promise<BroadcastRequestResult<unknown>> {
    const recipients: Connection[] = [];
    this.forEachRecipient(rooms, except, (connection) => recipients.push(connection));
    const replies = new Map<string, unknown>();
    const errors = new Map<string, { code: string; message: string }>();
    const missing: string[] = [];
    await Promise.all(
      recipients.map((connection) =>
        this.request(connection, event, value, timeout).then(
          (reply) => void replies.set(connection.id, reply),
          (error: WsRoomsError) => {
            if (
              error.code === WsRoomsErrorCode.RequestTimeout ||
              error.code === WsRoomsErrorCode.RequestAborted
            ) {
              missing.push(connection.id);
            } else {
              errors.set(connection.id, { code: error.code, message: error.message });
            }
          },
        ),
      ),
    );
    return { replies, errors, missing, partial: false };
  }

  /** Rooms and ids to the set of local connection ids they stand for. */
  private expand(roomsOrIds: readonly string[]): Set<string> {
    const ids = new Set<string>();
    for (const name of roomsOrIds) {
      if (this.connections.has(name)) ids.add(name);
      for (const id of this.index.membersOf(name)) ids.add(id);
    }
    return ids;
  }

  scheduleFlush(connection: Connection): void {
    this.batcher.schedule(connection);
  }

  // ---- rooms and connections ----

  /** The local connection with this id. */
  getConnection(id: string): Connection | undefined {
    return this.connections.get(id);
  }

  /** Every local connection. */
  localConnections(): IterableIterator<Connection> {
    return this.connections.values();
  }

  /**
   * Joins a room: checked and applied locally at once (so a broadcast right after reaches the new
   * member), then handed to the store. The returned promise never rejects: store failures are logged.
   * @throws WsRoomsError synchronously for an invalid room name or `maxRoomsPerConnection`.
   */
  join(connection: Connection, room: string): Promise<void> {
    assertRoomName(room);
    if (connection.closed || room === connection.id) return RESOLVED;
    if (this.index.has(connection.id, room)) return RESOLVED;
    if (this.index.roomsOf(connection.id).size >= this.options.maxRoomsPerConnection) {
      throw new WsRoomsError(
        WsRoomsErrorCode.RoomLimit,
        `connection is already in ${this.options.maxRoomsPerConnection} rooms (maxRoomsPerConnection)`,
      );
    }
    this.index.add(connection.id, room);
    // What the room said before now was never this connection's: a replay must skip it.
    if (connection.recoveryToken !== undefined) {
      (connection.joinedAt ??= new Map()).set(room, this.recovery!.head());
    }
    const routed = this.store.joined(connection.id, room);
    if (!this.presence?.tracks(room)) return this.settle(routed);
    // Resolves once presence recorded the member too: `presence(room)` right after lists it.
    const recorded = this.presence.joined(connection, room, routed);
    return this.settle(recorded === undefined ? routed : Promise.all([routed, recorded]));
  }

  /** Members with metadata of a presence-tracked room, on every node. */
  presenceOf(room: string): Promise<ClusterQueryResult<PresenceMember[]>> {
    if (this.presence === null) return Promise.resolve({ value: [], partial: false });
    return this.presence.members(room);
  }

  /** How presence reaches clients: room broadcasts, and direct sends to a local connection. */
  private readonly presenceOutlet: PresenceOutlet = {
    toRoom: (room, payload, except) => {
      const operator = this.broadcastFrom(except ?? undefined).to(room);
      (except === null ? operator : operator.except(except)).emit(ReservedEvent.Presence, payload);
    },
    toConnection: (connectionId, payload) => {
      const connection = this.connections.get(connectionId);
      if (connection !== undefined && !connection.closed) {
        connection.emit(ReservedEvent.Presence, payload as unknown as EmitValue);
      }
    },
    failed: (error) => this.logger.error(`presence store failed: ${describeError(error)}`),
  };

  /** Leaves a room (a no-op when not a member). The promise never rejects. */
  leave(connection: Connection, room: string): Promise<void> {
    assertRoomName(room);
    if (!this.index.remove(connection.id, room)) return RESOLVED;
    connection.joinedAt?.delete(room);
    // The leaver is no longer a member and misses the room's `left`: its view of the room is emptied.
    const forgotten = this.presence?.left(connection.id, room, true);
    const left = this.store.left(connection.id, room);
    return this.settle(forgotten === undefined ? left : Promise.all([left, forgotten]));
  }

  /** Runs a command for a connection here or, through the store, on another node. */
  async command(command: RemoteCommand): Promise<boolean> {
    if (command.kind === 'join' || command.kind === 'leave') assertRoomName(command.room);
    if (this.connections.has(command.connectionId)) return this.runLocally(command);
    return this.store.sendRemote(command);
  }

  private runLocally(command: RemoteCommand): boolean | Promise<boolean> {
    const connection = this.connections.get(command.connectionId);
    if (connection === undefined) return false;
    if (command.kind === 'takeover') {
      if (
        connection.recoveryToken !== command.token ||
        ownerKey(connection.principal) !== command.owner
      ) {
        return false;
      }
      // The peer is gone (it is reconnecting): no close frame, and the session is kept for it.
      const kept = this.close(connection, 1006, 'replaced by a resumed session', 'server', true);
      return kept === undefined ? true : kept.then(() => true);
    }
    if (command.kind === 'join') {
      try {
        void this.join(connection, command.room);
      } catch (error) {
        this.logger.warn(`remote join of ${connection.id} refused: ${(error as Error).message}`);
      }
    } else if (command.kind === 'leave') void this.leave(connection, command.room);
    else this.close(connection, command.code, command.reason);
    return true;
  }

  // ---- disconnect ----

  /**
   * Ends a connection, once: it leaves the lists and its rooms, the disconnect handlers run in
   * registration order, then the socket gets a close frame (when the server initiated it).
   * Returns a promise while the recovery session of a cut connection is being kept.
   */
  close(
    connection: Connection,
    code: number,
    reason: string,
    initiator: 'client' | 'server' = 'server',
    terminate = false,
  ): Promise<void> | undefined {
    if (connection.closed) return undefined;
    if (initiator === 'server' && !terminate) connection.flush();
    connection.closed = true;
    this.limiter.release(connection.limiterKey);
    if (connection.pendingRequests !== undefined) {
      const aborted = new WsRoomsError(
        WsRoomsErrorCode.RequestAborted,
        `connection closed before the reply (${code})`,
      );
      for (const pending of connection.pendingRequests.values()) {
        clearTimeout(pending.timer);
        pending.reject(aborted);
      }
      connection.pendingRequests.clear();
    }
    this.connections.delete(connection.id);
    this.stats.connections = this.connections.size;
    const rooms = this.index.removeAll(connection.id);
    this.track(this.store.disconnected(connection.id, rooms));
    if (this.presence !== null) {
      for (const room of rooms) this.track(this.presence.left(connection.id, room, false));
    }
    // A connection cut without a deliberate close may come back and recover (see RecoveryStore).
    // 1001 (this node going away) is not an end: with a shared log the client resumes elsewhere.
    const deliberate =
      code === 1000 || (initiator === 'server' && code !== 1006 && code !== CloseCode.GoingAway);
    let kept: Promise<void> | undefined;
    if (connection.recoveryToken !== undefined && !deliberate) {
      const suspended = this.recovery!.suspend({
        id: connection.id,
        token: connection.recoveryToken,
        rooms,
        joinedAt: connection.joinedAt && Object.fromEntries(connection.joinedAt),
        disconnectedAt: this.scheduler.now(),
        owner: ownerKey(connection.principal),
      });
      if (isPromiseLike(suspended)) {
        kept = Promise.resolve(suspended);
        this.track(kept);
      }
    }
    const info: DisconnectInfo = { code, reason, initiator };
    for (const hook of this.disconnectHooks)
      this.runDisconnectListener(connection, () => hook(connection, info));
    for (const listener of connection.takeDisconnectListeners()) {
      this.runDisconnectListener(connection, () => listener(info));
    }
    if (terminate) {
      connection.ws.terminate();
    } else if (initiator === 'server' && connection.ws.readyState === WebSocket.OPEN) {
      this.connectionsClosing.add(connection);
      connection.ws.once('close', () => this.connectionsClosing.delete(connection));
      // A connection held by an asynchronous hook is paused: it must read the peer's close frame,
      // or the close would wait for closeTimeout. Its messages are ignored once it is closed.
      if (connection.ws.isPaused) connection.ws.resume();
      connection.ws.close(code, reason);
    }
    return kept;
  }

  private runDisconnectListener(connection: Connection, call: () => unknown): void {
    const report = (error: unknown) =>
      this.logger.error(`disconnect handler failed for ${connection.id}: ${describeError(error)}`);
    try {
      const result = call();
      if (isPromiseLike(result)) this.track(Promise.resolve(result).catch(report));
    } catch (error) {
      report(error);
    }
  }

  /** Cuts a connection that does not read fast enough: close 1008, then the close timeout destroys it. */
  cutSlowConsumer(connection: Connection, why: string): void {
    if (connection.closed) return;
    this.stats.slowConsumerCuts++;
    this.logger.warn(`cutting slow consumer ${connection.id}: ${why}`);
    connection.pending = null;
    connection.pendingBytes = 0;
    this.close(connection, CloseCode.PolicyViolation, 'slow consumer');
  }

  private readonly heartbeatActions = {
    subjects: () => this.connections.values(),
    ping: (connection: Connection) => connection.ws.ping(),
    pongTimedOut: (connection: Connection) => {
      this.stats.pongTimeouts++;
      // A peer that does not answer pings will not answer a close frame either.
      this.close(connection, 1006, 'pong timeout', 'server', true);
    },
    writeTimedOut: (connection: Connection) =>
      this.cutSlowConsumer(connection, 'send queue did not drain within writeTimeout'),
  };

  // ---- bookkeeping ----

  private handlersRunning = 0;
  private handlersIdle: (() => void)[] = [];

  private handlerSettled(): void {
    if (--this.handlersRunning === 0 && this.handlersIdle.length > 0) {
      for (const resolve of this.handlersIdle.splice(0)) resolve();
    }
  }

  /** Resolves when no asynchronous handler is running. */
  private handlersDone(): Promise<void> {
    if (this.handlersRunning === 0) return RESOLVED;
    return new Promise((resolve) => this.handlersIdle.push(resolve));
  }

  private track(result: unknown): void {
    if (!isPromiseLike(result)) return;
    const promise = Promise.resolve(result).catch((error: unknown) => {
      this.logger.error(describeError(error));
    });
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise));
  }

  private async settle(result: unknown): Promise<void> {
    if (!isPromiseLike(result)) return;
    try {
      await result;
    } catch (error) {
      this.logger.error(`room store failed: ${describeError(error)}`);
    }
  }

  /** @internal used by the socket listeners below. */
  onSocketClosed(connection: Connection, code: number, reason: Buffer): void {
    this.connectionsClosing.delete(connection);
    this.close(connection, code, reason.toString('utf8'), 'client');
  }
}

// Listeners shared by every socket (`this` is the socket): no closures per connection.
function onSocketMessage(this: TaggedWebSocket, data: WebSocket.RawData): void {
  const connection = this[kConnection];
  if (connection === undefined || connection.closed) return;
  (connection.host as WsRoomsServer).handleMessage(connection, toBuffer(data));
}

function onSocketPong(this: TaggedWebSocket): void {
  const connection = this[kConnection];
  if (connection !== undefined) connection.awaitingPong = false;
}

function onSocketClose(this: TaggedWebSocket, code: number, reason: Buffer): void {
  const connection = this[kConnection];
  if (connection !== undefined)
    (connection.host as WsRoomsServer).onSocketClosed(connection, code, reason);
}

function onSocketError(this: TaggedWebSocket, error: Error & { code?: string }): void {
  // `ws` has already sent the close frame (1002/1007/1008/1009) and stops reading, so its 'close'
  // would report 1006 from the client: end the connection here, with the code that was sent.
  // The listener must exist anyway, so that an error never becomes an uncaught exception.
  const connection = this[kConnection];
  if (connection !== undefined)
    (connection.host as WsRoomsServer).close(connection, closeCodeOf(error), '');
}

/** The close code `ws` sends for a receiver error (its own status code is not exported). */
function closeCodeOf(error: { code?: string }): number {
  switch (error.code) {
    case 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH':
    case 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH':
      return CloseCode.MessageTooBig;
    case 'WS_ERR_INVALID_UTF8':
      return CloseCode.InvalidPayload;
    case 'WS_ERR_TOO_MANY_BUFFERED_PARTS':
      return CloseCode.PolicyViolation;
    default:
      return CloseCode.ProtocolError;
  }
}

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

const RESOLVED: Promise<void> = Promise.resolve();

/** A principal as recovery compares it: its JSON form (no principal: the empty string). */
function ownerKey(principal: unknown): string {
  if (principal === undefined || principal === null) return '';
  try {
    return JSON.stringify(principal) ?? '';
  } catch {
    // A principal JSON cannot represent is only ever the same as itself: never recoverable.
    return `unserialisable:${Math.random()}`;
  }
}

/** A recovery request read from the upgrade URL: a resumable session, or why there is none. */
type ResumeRequest =
  | {
      readonly ok: true;
      readonly session: SuspendedSession;
      /** The last offset the client saw. */
      readonly afterOffset: number;
    }
  | { readonly ok: false; readonly reason: RecoveryFailure | null };

function replyError(error: ReplyError): WsRoomsError {
  const result = new WsRoomsError(error.code as WsRoomsErrorCode, error.message);
  if (error.status !== undefined) Object.assign(result, { status: error.status });
  if (error.details !== undefined) Object.assign(result, { details: error.details });
  return result;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

function isWsResponse(value: unknown): value is { event: string; data: unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { event?: unknown }).event === 'string' &&
    'data' in value &&
    Object.keys(value).length === 2
  );
}

function assertRoomName(room: string): void {
  if (typeof room !== 'string' || room.length === 0) {
    throw new WsRoomsError(
      WsRoomsErrorCode.InvalidRoomName,
      `Invalid room name ${JSON.stringify(room)}: it must be a non-empty string`,
    );
  }
}

function waitForClose(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => ws.once('close', () => resolve()));
}

function delay(milliseconds: number): { promise: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, milliseconds);
    timer.unref();
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

function httpStatusOf(error: unknown): number | undefined {
  const getStatus = (error as { getStatus?: unknown } | null)?.getStatus;
  return typeof getStatus === 'function' ? (getStatus.call(error) as number) : undefined;
}

/** Maps whatever a handler, guard or pipe threw to the typed error sent to the client. */
function toWsRoomsError(error: unknown): WsRoomsError {
  if (error instanceof WsRoomsError) return error;
  const status = httpStatusOf(error);
  if (status !== undefined) {
    const response = (error as { getResponse(): unknown }).getResponse();
    const message =
      typeof response === 'object' && response !== null && 'message' in response
        ? (response as { message: unknown }).message
        : (error as Error).message;
    const code = status === 403 ? WsRoomsErrorCode.Forbidden : WsRoomsErrorCode.BadRequest;
    const result = new WsRoomsError(
      code,
      Array.isArray(message) ? message.join('; ') : String(message),
    );
    if (Array.isArray(message)) Object.assign(result, { details: message });
    return result;
  }
  const wsError = (error as { getError?: unknown } | null)?.getError;
  if (typeof wsError === 'function') {
    // Nest's WsException: its payload is meant for the client.
    const payload = wsError.call(error) as unknown;
    const message = typeof payload === 'string' ? payload : (error as Error).message;
    const result = new WsRoomsError(WsRoomsErrorCode.BadRequest, message);
    if (typeof payload === 'object' && payload !== null)
      Object.assign(result, { details: payload });
    return result;
  }
  // An unexpected error: its text may hold internals, so the client gets a generic message.
  return new WsRoomsError(WsRoomsErrorCode.HandlerError, 'Internal server error');
}
