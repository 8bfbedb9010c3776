import { ReservedEvent } from '../protocol/protocol.constants';
import {
  ClientCodec,
  type ClientDecodedValue,
  type DecodeResult,
  type ParsedEventMessage,
} from './client-codec';
import { WsRoomsClientError, WsRoomsClientErrorCode, WsRoomsServerError } from './client-errors';
import type {
  AnyEventArgs,
  EventArgs,
  EventHandler,
  EventName,
  RequestArgs,
  RequestHandler,
  RequestReply,
  RequestsToClient,
  RequestsToServer,
  RequestValue,
  ToClientEvents,
  ToServerEvents,
  UntypedEventMap,
  WsEventMap,
} from './client-event-map';
import {
  isRequestTimeout,
  MAX_TIMER_DELAY,
  resolveClientOptions,
  type ResolvedClientOptions,
  type WsRoomsClientOptions,
} from './client-options';
import {
  assertCloseArguments,
  closeQuietly,
  detach,
  NORMAL_CLOSURE,
  startAttempt,
  type Attempt,
} from './connection-attempt';
import { ListenerRegistry, type Unsubscribe } from './listener-registry';
import {
  parsePresence,
  PresenceView,
  type PresenceChange,
  type PresenceMember,
} from './presence-view';
import type { CloseDetails } from './reconnect-policy';
import { ReconnectScheduler } from './reconnect-scheduler';
import { unwrapMessage } from './recovery-envelope';
import { RecoverySession, type RecoveryResult } from './recovery-session';
import { OneShotTimer } from './one-shot-timer';
import { parseReplyEnvelope, requestPayload } from './request-envelope';
import { RequestHandlerRegistry, type RawRequestHandler } from './request-handlers';
import { PendingRequest, RequestTracker } from './request-tracker';
import { assertUserEventName, ReservedEventRouter } from './reserved-event-router';
import { SendBuffer } from './send-buffer';
import { ServerRequestResponder } from './server-request-responder';
import { resolveSocketUrl } from './socket-url';
import {
  ReadyState,
  type CloseEventLike,
  type SocketData,
  type WebSocketLike,
} from './websocket-like';

/**
 * The lifecycle of a {@link WsRoomsClient}:
 * - `'connecting'`: the first attempt (after construction or `connect()`) is under way;
 * - `'open'`: the socket is open; `emit` writes at once;
 * - `'reconnecting'`: the connection was lost; the client waits out the backoff delay or is trying
 *   again;
 * - `'closed'`: no socket and no retry pending (before `connect()`, after `close()`, or after the
 *   client gave up).
 */
export type ClientState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** What `onDisconnect` listeners learn about a lost connection. */
export interface DisconnectInfo {
  /** The close code; 1006 when the connection dropped without a close frame. */
  readonly code: number;
  /** The close reason text (often empty). */
  readonly reason: string;
  /** Whether the closing handshake completed (true for a deliberate `close()`). */
  readonly wasClean: boolean;
  /** Whether the client is going to reconnect by itself. */
  readonly willReconnect: boolean;
}

/** A native message from the server: text for a text frame, bytes for a binary frame. */
export type NativeMessageData = string | Uint8Array;

/** Per-call options of {@link WsRoomsClient.request}. */
export interface RequestOptions {
  /** How long to wait for the reply, in ms, from the call. @default the `requestTimeout` option */
  readonly timeout?: number;
}

/** What the send buffer holds: plain messages, and requests that wait to be sent. */
type Outbound = SocketData | PendingRequest;

const ABNORMAL_CLOSURE = 1006;

/**
 * The modern ws-rooms client, for browsers and Node: camelCase names, values decoded by their type
 * digit, typed events, automatic reconnection with backoff, a bounded buffer for messages sent
 * while offline, requests with replies in both directions, presence, and (opt-in) missed-message
 * recovery.
 *
 * ```ts
 * interface ChatEvents {
 *   toServer: { chat: string; join: { room: string }; typing: void };
 *   toClient: { chat: string };
 *   requestsToServer: { history(room: string): string[] };
 * }
 * const client = new WsRoomsClient<ChatEvents>('wss://example.com/chat');
 * client.onConnect(() => client.emit('join', { room: 'lobby' })); // rooms are restored by the app
 * client.on('chat', (text) => console.log(text)); // text: string
 * client.emit('typing'); // a void event takes no value
 * const lines = await client.request('history', 'lobby'); // lines: string[]
 * ```
 *
 * `Events` is the endpoint's event map ({@link WsEventMap}), the same type the gateway uses:
 * `emit` takes its `toServer` events, `on`/`once`/`off` its `toClient` events, `request` its
 * `requestsToServer` and `onRequest` its `requestsToClient`. Without a type argument, or for a
 * section the map leaves out, any name goes and values are `unknown`.
 *
 * Errors never escape from socket callbacks: malformed server messages, listener exceptions and
 * reconnection failures are reported to {@link WsRoomsClient.onError}; errors the server reports
 * about this client's messages arrive at {@link WsRoomsClient.onServerError}.
 */
export class WsRoomsClient<Events extends WsEventMap = UntypedEventMap> {
  private readonly options: ResolvedClientOptions;
  private readonly codec: ClientCodec;
  private readonly reconnect: ReconnectScheduler;
  private readonly sendBuffer: SendBuffer<Outbound>;
  private readonly requests: RequestTracker;
  private readonly requestHandlers = new RequestHandlerRegistry();
  private readonly responder: ServerRequestResponder;
  /** The recovery state; null when the `recovery` option is off. */
  private readonly session: RecoverySession | null;
  private readonly presenceView = new PresenceView();
  private readonly presenceListeners = new ListenerRegistry<[PresenceChange]>();
  private readonly recoveryListeners = new ListenerRegistry<[RecoveryResult]>();
  private readonly reserved = new ReservedEventRouter();
  private readonly eventHandlers = new Map<string, ListenerRegistry<[unknown]>>();
  private readonly anyListeners = new ListenerRegistry<[string, unknown]>();
  private readonly messageListeners = new ListenerRegistry<[NativeMessageData]>();
  private readonly connectListeners = new ListenerRegistry<[]>();
  private readonly disconnectListeners = new ListenerRegistry<[DisconnectInfo]>();
  private readonly stateListeners = new ListenerRegistry<[ClientState, ClientState]>();
  private readonly errorListeners = new ListenerRegistry<[WsRoomsClientError]>();
  private readonly serverErrorListeners = new ListenerRegistry<[WsRoomsServerError]>();
  private readonly reportListenerError = (error: unknown): void => this.listenerFailed(error);

  private currentState: ClientState = 'closed';
  private attempt: Attempt | null = null;
  /** With recovery: bounds the wait for the server's session after the socket opened. */
  private readonly sessionTimer: OneShotTimer;

  /**
   * @param url the server endpoint: `ws(s)://…`, `http(s)://…`, a path such as `/chat` (browsers),
   *   or a function returning one, called before every attempt (e.g. to put a fresh token in it).
   * @throws WsRoomsClientError `WS_ROOMS_CLIENT_INVALID_OPTION` for an invalid option;
   *   `WS_ROOMS_CLIENT_NO_WEBSOCKET` when no WebSocket implementation is available.
   */
  constructor(
    private readonly url: string | (() => string),
    options: WsRoomsClientOptions = {},
  ) {
    this.options = resolveClientOptions(options);
    this.codec = new ClientCodec(this.options.prefix, this.options.limits);
    this.responder = new ServerRequestResponder(this.requestHandlers, this.codec);
    this.sessionTimer = new OneShotTimer(this.options.timers);
    this.reconnect = new ReconnectScheduler(this.options.reconnect, this.options.timers, (error) =>
      this.listenerFailed(error),
    );
    this.sendBuffer = new SendBuffer(this.options.sendBufferSize, this.options.sendBufferPolicy);
    this.requests = new RequestTracker(this.options.timers, (expired) =>
      this.sendBuffer.remove(expired),
    );
    this.session = this.options.recovery ? new RecoverySession() : null;
    this.reserved.register(ReservedEvent.Error, (value) => this.receiveServerError(value));
    this.reserved.register(ReservedEvent.Reply, (value) => this.receiveReply(value));
    this.reserved.register(ReservedEvent.Request, (value) => this.receiveRequest(value));
    this.reserved.register(ReservedEvent.Presence, (value) => this.receivePresence(value));
    if (this.session !== null) {
      this.reserved.register(ReservedEvent.Session, (value) => this.receiveSession(value));
    }
    if (this.options.autoConnect) this.connect();
  }

  /** The current {@link ClientState}. */
  get state(): ClientState {
    return this.currentState;
  }

  /** How many messages (requests included) wait in the send buffer for the connection to open. */
  get bufferedCount(): number {
    return this.sendBuffer.size;
  }

  /**
   * The connection id the server assigned, which is also the name of the room that reaches only this
   * client. Known with the `recovery` option (the server tells it in `ws-rooms:session`, and the
   * client is `'open'` only once it arrived, so `onConnect` listeners already see it): after a
   * recovery it is unchanged, after a failed one it is the new id. While reconnecting it is still the
   * previous id (the one the client tries to resume). `undefined` before the first session, without
   * recovery, and against a server without recovery.
   */
  get id(): string | undefined {
    return this.session?.id;
  }

  /**
   * This client's view of a presence-tracked room: the members with their metadata, in join order,
   * itself included once it joined. Kept from the server's presence events (see `onPresence`);
   * empty for a room the client is not in or that does not track presence.
   */
  presence(room: string): PresenceMember[] {
    return this.presenceView.members(room);
  }

  /**
   * Starts connecting. Does nothing while connecting or open. While a retry is pending it tries at
   * once (useful on the browser's `online` event); after `close()` or after the client gave up it
   * starts over with a fresh backoff schedule.
   */
  connect(): void {
    if (this.attempt !== null) return;
    if (this.currentState === 'reconnecting') {
      this.reconnect.cancelRetry();
      this.openSocket();
      return;
    }
    this.reconnect.restart();
    this.setState('connecting');
    this.openSocket();
  }

  /**
   * Closes the connection on purpose: no reconnection follows. If the connection was open,
   * `onDisconnect` listeners run at once with this code and reason, `wasClean: true` and
   * `willReconnect: false`. Messages still in the send buffer stay there for a later `connect()`;
   * requests are rejected (`WS_ROOMS_CLIENT_REQUEST_ABORTED`), buffered or in flight, and the
   * recovery session ends (the next `connect()` starts a fresh one).
   * @param code a close code the WebSocket API allows: 1000 or 3000-4999. @default 1000
   * @param reason at most 123 bytes of UTF-8. @default ''
   * @throws WsRoomsClientError `WS_ROOMS_CLIENT_INVALID_ARGUMENT` for a code or reason the
   *   WebSocket API would refuse (checked before anything changes).
   */
  close(code: number = NORMAL_CLOSURE, reason = ''): void {
    assertCloseArguments(code, reason);
    this.reconnect.stop();
    this.sessionTimer.clear();
    const attempt = this.attempt;
    this.attempt = null;
    if (attempt !== null) {
      detach(attempt.socket);
      closeQuietly(attempt.socket, code, reason);
    }
    // A deliberate close ends the session on the server too: there is nothing left to resume.
    this.session?.reset();
    this.setState('closed');
    if (attempt?.announced) {
      this.disconnectListeners.emit(this.reportListenerError, {
        code,
        reason,
        wasClean: true,
        willReconnect: false,
      });
    }
  }

  /**
   * Listens to an event from the server; the handler receives the decoded value. Reserved
   * `ws-rooms:*` names cannot be listened to (they are the library's own).
   * @returns a function that removes this handler.
   * @throws WsRoomsClientError `WS_ROOMS_INVALID_EVENT_NAME` for an invalid or reserved name.
   */
  on<K extends EventName<ToClientEvents<Events>>>(
    event: K,
    handler: EventHandler<ToClientEvents<Events>[K]>,
  ): Unsubscribe {
    assertUserEventName(event);
    let handlers = this.eventHandlers.get(event);
    if (handlers === undefined) {
      handlers = new ListenerRegistry<[unknown]>();
      this.eventHandlers.set(event, handlers);
    }
    return handlers.add(handler as EventHandler<unknown>);
  }

  /**
   * Listens to the next occurrence of an event only.
   * @returns a function that removes the handler before it ran.
   */
  once<K extends EventName<ToClientEvents<Events>>>(
    event: K,
    handler: EventHandler<ToClientEvents<Events>[K]>,
  ): Unsubscribe {
    const unsubscribe = this.on(event, (value) => {
      unsubscribe();
      handler(value);
    });
    return unsubscribe;
  }

  /**
   * Removes `handler` from `event` (every registration of it), or every handler of `event` when
   * `handler` is omitted. Handlers registered with `once` are removed through the function `once`
   * returned.
   */
  off<K extends EventName<ToClientEvents<Events>>>(
    event: K,
    handler?: EventHandler<ToClientEvents<Events>[K]>,
  ): void {
    const handlers = this.eventHandlers.get(event);
    if (handlers === undefined) return;
    if (handler === undefined) handlers.clear();
    else handlers.remove(handler as EventHandler<unknown>);
    if (handlers.size === 0) this.eventHandlers.delete(event);
  }

  /**
   * Listens to every event of the server, whatever its name: the listener gets the name and the
   * decoded value, after the event's own handlers. Reserved `ws-rooms:*` events and native messages
   * are not events of the application and do not reach it. For logging, and for test clients that
   * record everything from the first message on.
   * @returns a function that removes this listener.
   */
  onAny(listener: (...args: AnyEventArgs<ToClientEvents<Events>>) => void): Unsubscribe {
    return this.anyListeners.add(listener as (event: string, value: unknown) => void);
  }

  /**
   * Sends an event. The type digit follows from the value (string 0, safe integer 1, boolean 2,
   * bytes 3 as a binary frame, anything else 4 as JSON); an event whose map type is `void` is sent
   * without a value (JSON `null`). While the connection is not open the
   * message waits in the send buffer and goes out, in order, once it opens.
   * @throws WsRoomsClientError `WS_ROOMS_INVALID_EVENT_NAME` for an invalid or reserved name;
   *   `WS_ROOMS_INVALID_PAYLOAD` for a value JSON cannot encode; `WS_ROOMS_CLIENT_BUFFER_FULL` when
   *   not open, the buffer is full and the policy is `'reject'`.
   */
  emit<K extends EventName<ToServerEvents<Events>>>(
    event: K,
    ...args: EventArgs<ToServerEvents<Events>[K]>
  ): void {
    assertUserEventName(event);
    this.send(this.codec.encode(event, args[0]));
  }

  /**
   * Sends a native message, unchanged: a string as a text frame, bytes as a binary frame. Buffered
   * like `emit` while the connection is not open.
   * @throws WsRoomsClientError `WS_ROOMS_CLIENT_BUFFER_FULL` as for `emit`.
   */
  emitMessage(data: string | Uint8Array): void {
    this.send(data);
  }

  /**
   * Sends a request (`ws-rooms:req`) and resolves with the server handler's reply: what the first
   * handler of `event` returned (or resolved with), JSON as parsed, bytes as a `Uint8Array`.
   *
   * Offline behaviour, by design: while the client is `'connecting'` or `'reconnecting'` the request
   * waits in the send buffer, in order with `emit`s (so `emit('join', room)` then
   * `request('history', room)` reach the server in that order), and goes out when the connection
   * opens. Its timeout runs from the call, so the wait is bounded. A request is never sent twice: if
   * the connection that carried it closes before the reply, it is rejected with
   * `WS_ROOMS_CLIENT_REQUEST_ABORTED`, because the server may already have run its handler.
   *
   * Never throws: every failure is a rejection.
   * @rejects WsRoomsServerError the server's error reply, with its `code`, `message`, `status` and
   *   `details` (e.g. `WS_ROOMS_NO_HANDLER` / 404 for an event without handler,
   *   `WS_ROOMS_HANDLER_ERROR`, `WS_ROOMS_BAD_REQUEST`, `WS_ROOMS_FORBIDDEN`).
   * @rejects WsRoomsClientError `WS_ROOMS_CLIENT_REQUEST_TIMEOUT` when no reply came in time;
   *   `WS_ROOMS_CLIENT_REQUEST_ABORTED` when the connection closed before the reply, or the client
   *   was closed or gave up while the request was buffered; `WS_ROOMS_CLIENT_NOT_CONNECTED` when
   *   called while `'closed'`; `WS_ROOMS_CLIENT_MESSAGE_DROPPED` when pushed out of a full send
   *   buffer (`WS_ROOMS_CLIENT_BUFFER_FULL` under the `'reject'` policy);
   *   `WS_ROOMS_INVALID_EVENT_NAME`, `WS_ROOMS_INVALID_PAYLOAD`, `WS_ROOMS_CLIENT_INVALID_ARGUMENT`
   *   (a bad `timeout`) for invalid arguments.
   */
  request<K extends EventName<RequestsToServer<Events>>>(
    event: K,
    ...args: RequestArgs<RequestsToServer<Events>, K, RequestOptions>
  ): Promise<RequestReply<RequestsToServer<Events>, K>> {
    const [value, options = {}] = args as [unknown, RequestOptions | undefined];
    let request: PendingRequest;
    let timeout: number;
    try {
      request = this.createRequest(event, value);
      timeout = options.timeout ?? this.options.requestTimeout;
      if (!isRequestTimeout(timeout)) {
        throw new WsRoomsClientError(
          WsRoomsClientErrorCode.InvalidArgument,
          `Invalid request timeout ${String(timeout)}: use a number > 0 and <= ${MAX_TIMER_DELAY}`,
          { event },
        );
      }
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.currentState === 'closed') {
      return Promise.reject(
        new WsRoomsClientError(
          WsRoomsClientErrorCode.NotConnected,
          `request "${event}": the client is closed (call connect() first)`,
          { event },
        ),
      );
    }
    const reply = this.requests.start(request, timeout);
    const attempt = this.openAttempt();
    if (attempt !== null) {
      this.requests.sent(request, attempt);
      attempt.socket.send(request.data);
    } else {
      try {
        this.buffer(request);
      } catch (error) {
        this.requests.fail(request, error as Error);
      }
    }
    return reply as Promise<RequestReply<RequestsToServer<Events>, K>>;
  }

  /**
   * Answers the server's requests for `event` (`connection.request()` and `to(room).request()` on
   * the server). The handler receives the decoded value; what it returns, or the promise's value, is
   * the reply (`undefined` travels as `null`; bytes as bytes). A throw or a rejection becomes an
   * error reply: the error's `code` when it is a string (else `WS_ROOMS_CLIENT_HANDLER_ERROR`), its
   * `message`, and its numeric `status` and `details` when present. Requests for events without a
   * handler are answered `WS_ROOMS_NO_HANDLER` (status 404). One handler per event: registering
   * another replaces it. A reply whose connection closed meanwhile is dropped (the server has
   * already given up on it).
   * @returns a function that removes this handler.
   * @throws WsRoomsClientError `WS_ROOMS_INVALID_EVENT_NAME` for an invalid or reserved name.
   */
  onRequest<K extends EventName<RequestsToClient<Events>>>(
    event: K,
    handler: RequestHandler<
      RequestValue<RequestsToClient<Events>, K>,
      RequestReply<RequestsToClient<Events>, K>
    >,
  ): Unsubscribe {
    assertUserEventName(event);
    return this.requestHandlers.set(event, handler as RawRequestHandler);
  }

  /**
   * Listens to presence changes of the presence-tracked rooms this client is in (the server's
   * `presence` option): a member `joined` (with its metadata) or `left`, or the whole `members` list
   * (sent when this client joins; an empty list when it left, or when a new connection started
   * without its rooms). {@link presence} already reflects the change when listeners run. Changes
   * carry the room's `version`; one the client's list already contains (on a multi-node server a
   * change can arrive before the list that includes it) is applied once and reported once.
   */
  onPresence(listener: (change: PresenceChange) => void): Unsubscribe {
    return this.presenceListeners.add(listener);
  }

  /**
   * With the `recovery` option: listens to the outcome of each (re)connection's session, which the
   * server announces before any other message (`onConnect` listeners run just before; messages sent
   * from either go out before those buffered while offline).
   * - `status: 'fresh'` (first connection): join rooms and load state here;
   * - `'recovered'`: same id, the rooms are back and the missed room messages follow, each once and
   *   in order, before live ones: nothing to do;
   * - `'failed'` (`recovered: false` on a reconnect, with a `reason`): the server could not resume
   *   (window passed, unknown session, history gone...): a new id, no rooms, missed messages lost.
   *   **Rejoin the rooms and reload state.**
   *
   * So `if (!result.recovered) { rejoin(); reload(); }` covers both first and failed connections.
   * Only room broadcasts are recovered, not messages sent with `connection.emit`.
   */
  onRecovery(listener: (result: RecoveryResult) => void): Unsubscribe {
    return this.recoveryListeners.add(listener);
  }

  /**
   * Listens to native messages (those without the event prefix): text frames arrive as strings,
   * binary frames (e.g. under the server's `binaryMessages`) as `Uint8Array`.
   */
  onMessage(listener: (data: NativeMessageData) => void): Unsubscribe {
    return this.messageListeners.add(listener);
  }

  /**
   * Listens to the connection becoming ready (`'open'`). It fires on **every** (re)connect, so this
   * is where an app restores its server-side state, which a new connection does not have: rooms are
   * server-side, so emit your join events here. Messages sent from this listener go out before the
   * messages buffered while offline. With the `recovery` option it fires once the server's session
   * arrived (so `id` is the connection's), just before `onRecovery`; rejoin in `onRecovery` then
   * (when `recovered` is false): a recovered connection already has its rooms back.
   */
  onConnect(listener: () => void): Unsubscribe {
    return this.connectListeners.add(listener);
  }

  /**
   * Listens to the loss of an open connection (each `onConnect` is followed by exactly one
   * `onDisconnect`). `willReconnect` tells whether the client retries by itself. Attempts that fail
   * before opening do not fire it; watch `onStateChange` and `onError` for those.
   */
  onDisconnect(listener: (info: DisconnectInfo) => void): Unsubscribe {
    return this.disconnectListeners.add(listener);
  }

  /** Listens to state changes; called with the new and the previous state. */
  onStateChange(listener: (state: ClientState, previous: ClientState) => void): Unsubscribe {
    return this.stateListeners.add(listener);
  }

  /**
   * Listens to the client's errors: malformed server messages, messages dropped from a full send
   * buffer, listener exceptions (`WS_ROOMS_CLIENT_HANDLER_ERROR` with the exception as `cause`), and
   * the reason the client stopped reconnecting. Without any error listener, listener exceptions are
   * rethrown asynchronously (so they reach the console like any uncaught exception) and the other
   * errors are dropped.
   */
  onError(listener: (error: WsRoomsClientError) => void): Unsubscribe {
    return this.errorListeners.add(listener);
  }

  /**
   * Listens to the errors the server reports about this client's messages (the reserved
   * `ws-rooms:error` event: bad payload, a handler that threw, a guard that refused). The connection
   * stays open.
   */
  onServerError(listener: (error: WsRoomsServerError) => void): Unsubscribe {
    return this.serverErrorListeners.add(listener);
  }

  private openSocket(): void {
    let socket: WebSocketLike;
    try {
      const given = resolveSocketUrl(typeof this.url === 'function' ? this.url() : this.url);
      const url = this.session === null ? given : this.session.decorate(given);
      const { WebSocket: Implementation, protocols } = this.options;
      socket =
        protocols === undefined ? new Implementation(url) : new Implementation(url, protocols);
    } catch (error) {
      // A malformed URL or a refused protocol list: every retry would throw the same way.
      this.setState('closed');
      this.reportError(
        new WsRoomsClientError(
          WsRoomsClientErrorCode.ConnectFailed,
          `Cannot open a WebSocket: ${(error as Error)?.message ?? String(error)}`,
          { cause: error },
        ),
      );
      return;
    }
    const attempt: Attempt = startAttempt(socket, {
      open: () => this.handleOpen(attempt),
      message: (data) => this.handleMessage(attempt, data),
      close: (event) => this.handleClose(attempt, event),
    });
    this.attempt = attempt;
  }

  private handleOpen(attempt: Attempt): void {
    if (attempt !== this.attempt) return;
    attempt.opened = true;
    this.reconnect.opened();
    if (this.session === null) {
      this.announce(attempt);
      return;
    }
    // The id, and whether the rooms are back, come with the session: the first message of a server
    // with recovery on. Until then the connection is not ready and sends go to the buffer.
    this.sessionTimer.start(this.options.sessionTimeout, () => this.noSession(attempt));
  }

  /**
   * The connection is ready: the client is `'open'`, `onConnect` listeners run, then `then` (the
   * recovery listeners), then the messages buffered meanwhile go out, after what those sent.
   */
  private announce(attempt: Attempt, then?: () => void): void {
    this.sessionTimer.clear();
    this.setState('open');
    // A state listener may have closed the client already; then there is no connection to announce.
    if (attempt !== this.attempt) return;
    attempt.announced = true;
    this.connectListeners.emit(this.reportListenerError);
    then?.();
    this.flush(attempt);
  }

  /** A server that answered recovery with no session (its recovery is off): ready without one. */
  private noSession(attempt: Attempt): void {
    if (attempt !== this.attempt || attempt.announced) return;
    this.announce(attempt);
    this.reportError(
      new WsRoomsClientError(
        WsRoomsClientErrorCode.NoSession,
        'The server opened the connection without a recovery session (is its recovery option ' +
          'on?): connected without an id and without recovery',
      ),
    );
  }

  private handleMessage(attempt: Attempt, data: unknown): void {
    if (attempt !== this.attempt) return;
    const parsed = this.codec.parse(data);
    // With recovery the session comes first: any other message means that none is coming.
    if (
      !attempt.announced &&
      !(parsed.kind === 'event' && parsed.event === ReservedEvent.Session)
    ) {
      this.noSession(attempt);
      if (attempt !== this.attempt) return;
    }
    if (parsed.kind === 'event' && parsed.event === ReservedEvent.Message) {
      this.receiveWrapped(parsed);
      return;
    }
    this.dispatch(parsed.kind === 'event' ? this.codec.convert(parsed) : parsed);
  }

  /**
   * A room broadcast wrapped for recovery: cut at byte level, delivered once per offset, then
   * dispatched as the message it wraps (a wrapped `ws-rooms:m` inside has no hook and is dropped).
   */
  private receiveWrapped(parsed: ParsedEventMessage): void {
    const wrapped = unwrapMessage(parsed.payload);
    if (wrapped === undefined) {
      this.reportError(
        new WsRoomsClientError(
          WsRoomsClientErrorCode.MalformedMessage,
          `"${ReservedEvent.Message}" payload is not <offset>;<message>`,
          { event: ReservedEvent.Message },
        ),
      );
      return;
    }
    if (this.session !== null && !this.session.accept(wrapped.offset)) return;
    this.dispatch(this.codec.decode(wrapped.message));
  }

  private dispatch(message: DecodeResult): void {
    switch (message.kind) {
      case 'native':
        this.messageListeners.emit(this.reportListenerError, message.data);
        return;
      case 'malformed':
        this.reportError(message.error);
        return;
      case 'event':
        if (ReservedEventRouter.isReserved(message.event)) {
          this.reserved.route(message.event, message.value);
          return;
        }
        this.eventHandlers.get(message.event)?.emit(this.reportListenerError, message.value);
        this.anyListeners.emit(this.reportListenerError, message.event, message.value);
        return;
    }
  }

  private handleClose(attempt: Attempt, event: CloseEventLike): void {
    if (attempt !== this.attempt) return;
    this.attempt = null;
    detach(attempt.socket);
    this.sessionTimer.clear();
    this.requests.abortCarried(
      attempt,
      new WsRoomsClientError(
        WsRoomsClientErrorCode.RequestAborted,
        'The connection closed before the reply',
      ),
    );
    // Without recovery a new connection has no rooms; with it, the view waits for the session.
    if (this.session === null && attempt.opened) this.forgetPresence();
    const details: CloseDetails = {
      code: typeof event.code === 'number' ? event.code : ABNORMAL_CLOSURE,
      reason: typeof event.reason === 'string' ? event.reason : '',
      wasClean: event.wasClean === true,
      opened: attempt.opened,
      handshakeStatus: attempt.handshakeStatus,
    };
    const decision = this.reconnect.decide(details);
    if (decision.reconnect) {
      // The retry is scheduled before listeners hear of the state, so that a listener calling
      // close() or connect() finds it and cancels or replaces it.
      this.reconnect.schedule(details, () => this.openSocket());
      this.setState('reconnecting');
    } else {
      this.setState('closed');
    }
    if (attempt.announced) {
      this.disconnectListeners.emit(this.reportListenerError, {
        code: details.code,
        reason: details.reason,
        wasClean: details.wasClean,
        // A state listener may already have called close() or connect(): report what will happen.
        willReconnect: this.currentState !== 'closed',
      });
    }
    if (decision.error !== undefined) this.reportError(decision.error);
  }

  private send(data: SocketData): void {
    const attempt = this.openAttempt();
    if (attempt !== null) attempt.socket.send(data);
    else this.buffer(data);
  }

  /** The current attempt when it is ready and its socket open (a message can go out now). */
  private openAttempt(): Attempt | null {
    const attempt = this.attempt;
    return attempt !== null && attempt.announced && attempt.socket.readyState === ReadyState.Open
      ? attempt
      : null;
  }

  /**
   * Keeps a message for the next open socket.
   * @throws WsRoomsClientError `WS_ROOMS_CLIENT_BUFFER_FULL` under the `'reject'` policy.
   */
  private buffer(item: Outbound): void {
    const dropped = this.sendBuffer.push(item);
    if (dropped === undefined) return;
    const error = new WsRoomsClientError(
      WsRoomsClientErrorCode.MessageDropped,
      `The send buffer is full (${this.sendBuffer.capacity} messages): the oldest message was dropped`,
    );
    if (dropped instanceof PendingRequest) this.requests.fail(dropped, error);
    this.reportError(error);
  }

  /** Sends the buffered messages in order, for as long as this attempt's socket stays open. */
  private flush(attempt: Attempt): void {
    while (
      this.sendBuffer.size > 0 &&
      this.attempt === attempt &&
      attempt.socket.readyState === ReadyState.Open
    ) {
      const item = this.sendBuffer.shift() as Outbound;
      if (!(item instanceof PendingRequest)) {
        attempt.socket.send(item);
      } else if (this.requests.isPending(item)) {
        this.requests.sent(item, attempt);
        attempt.socket.send(item.data);
      }
    }
  }

  /**
   * Builds a request without sending it.
   * @throws WsRoomsClientError for an invalid name or a value JSON cannot encode.
   */
  private createRequest(event: string, value: unknown): PendingRequest {
    assertUserEventName(event);
    const id = this.requests.nextId();
    let data: SocketData;
    try {
      data = this.codec.encode(ReservedEvent.Request, requestPayload(id, event, value));
    } catch (error) {
      throw new WsRoomsClientError(
        WsRoomsClientErrorCode.InvalidPayload,
        `request "${event}": value cannot be encoded as JSON (${(error as Error)?.message})`,
        { cause: error, event },
      );
    }
    return new PendingRequest(id, event, data);
  }

  private receiveReply(value: ClientDecodedValue): void {
    const reply = parseReplyEnvelope(value);
    if (reply === undefined) {
      this.invalidReserved(ReservedEvent.Reply, 'a reply envelope { id, value | bytes | error }');
      return;
    }
    // A reply nobody waits for came too late (after the timeout): ignored on purpose.
    this.requests.settle(reply);
  }

  /** A server-to-client request: answered on the connection it came from, if still open then. */
  private receiveRequest(value: ClientDecodedValue): void {
    const attempt = this.attempt as Attempt;
    const answered = this.responder.respond(value, (data) => {
      if (attempt === this.attempt && attempt.socket.readyState === ReadyState.Open) {
        attempt.socket.send(data);
      }
    });
    if (!answered) {
      this.invalidReserved(
        ReservedEvent.Request,
        'a request envelope { id, event, value | bytes }',
      );
    }
  }

  /** The server's session: the connection is ready once it is applied (see `announce`). */
  private receiveSession(value: ClientDecodedValue): void {
    const attempt = this.attempt as Attempt;
    const result = (this.session as RecoverySession).apply(value);
    if (result === undefined) {
      // A session came, unreadable: the connection still works, without what it would have said.
      if (!attempt.announced) this.announce(attempt);
      this.invalidReserved(ReservedEvent.Session, '{ id, token, offset, recovered }');
      return;
    }
    if (!result.recovered) this.forgetPresence();
    const tell = () => this.recoveryListeners.emit(this.reportListenerError, result);
    if (attempt.announced) tell();
    else this.announce(attempt, tell);
  }

  private receivePresence(value: ClientDecodedValue): void {
    const parsed = parsePresence(value);
    if (parsed === undefined) {
      this.invalidReserved(ReservedEvent.Presence, '{ room, joined | left | members, version? }');
      return;
    }
    // A change the view already has (it came from another node after a newer list): not news.
    const change = this.presenceView.applyChange(parsed);
    if (change !== undefined) this.presenceListeners.emit(this.reportListenerError, change);
  }

  /** Empties the presence view, telling listeners each room is gone (an empty `members` list). */
  private forgetPresence(): void {
    for (const room of this.presenceView.clear()) {
      this.presenceListeners.emit(this.reportListenerError, { type: 'members', room, members: [] });
    }
  }

  private invalidReserved(event: string, expected: string): void {
    this.reportError(
      new WsRoomsClientError(
        WsRoomsClientErrorCode.InvalidPayload,
        `"${event}" payload is not ${expected}`,
        { event },
      ),
    );
  }

  private receiveServerError(value: ClientDecodedValue): void {
    const error = WsRoomsServerError.fromWire(value);
    if (error === undefined) {
      this.reportError(
        new WsRoomsClientError(
          WsRoomsClientErrorCode.InvalidPayload,
          `"${ReservedEvent.Error}" payload is not { code, message }`,
          { event: ReservedEvent.Error },
        ),
      );
      return;
    }
    this.serverErrorListeners.emit(this.reportListenerError, error);
  }

  private setState(state: ClientState): void {
    const previous = this.currentState;
    if (previous === state) return;
    this.currentState = state;
    if (state === 'closed') {
      // Before the listeners, so that a listener calling connect() and then request() is unaffected.
      this.abortAllRequests();
      this.forgetPresence();
    }
    this.stateListeners.emit(this.reportListenerError, state, previous);
  }

  /** The client stopped (closed or gave up): no buffered or in-flight request can complete. */
  private abortAllRequests(): void {
    if (this.requests.size === 0) return;
    const error = new WsRoomsClientError(
      WsRoomsClientErrorCode.RequestAborted,
      'The client closed before the reply (it is not reconnecting)',
    );
    for (const buffered of this.requests.abortAll(error)) this.sendBuffer.remove(buffered);
  }

  private reportError(error: WsRoomsClientError): void {
    this.errorListeners.emit((thrown) => this.rethrowAsync(thrown), error);
  }

  private listenerFailed(error: unknown): void {
    if (this.errorListeners.size === 0) {
      this.rethrowAsync(error);
      return;
    }
    this.reportError(
      new WsRoomsClientError(
        WsRoomsClientErrorCode.HandlerError,
        `A listener threw: ${(error as Error)?.message ?? String(error)}`,
        { cause: error },
      ),
    );
  }

  /** Surfaces an application bug as an uncaught exception, outside the socket callback that met it. */
  private rethrowAsync(error: unknown): void {
    this.options.timers.setTimeout(() => {
      throw error;
    }, 0);
  }
}
