import { ReservedEvent } from '../protocol/protocol.constants';
import { Backoff } from './backoff';
import { assertEventName, ClientCodec, type ClientDecodedValue } from './client-codec';
import { WsRoomsClientError, WsRoomsClientErrorCode, WsRoomsServerError } from './client-errors';
import type { EventHandler, EventName, UnknownEvents } from './client-event-map';
import {
  resolveClientOptions,
  type ResolvedClientOptions,
  type WsRoomsClientOptions,
} from './client-options';
import { ListenerRegistry, type Unsubscribe } from './listener-registry';
import { isRetryableHandshakeStatus, type CloseDetails } from './reconnect-policy';
import { ReservedEventRouter } from './reserved-event-router';
import { SendBuffer } from './send-buffer';
import { resolveSocketUrl } from './socket-url';
import {
  ReadyState,
  watchHandshakeStatus,
  type CloseEventLike,
  type MessageEventLike,
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

/** One connection attempt: its socket and what was learnt about it. */
interface Attempt {
  readonly socket: WebSocketLike;
  opened: boolean;
  /** `onConnect` listeners heard of it: `onDisconnect` listeners must hear of its end. */
  announced: boolean;
  handshakeStatus?: number;
}

/** Why the client will not reconnect after a close, if it will not. */
interface ReconnectDecision {
  readonly reconnect: boolean;
  readonly error?: WsRoomsClientError;
}

const NORMAL_CLOSURE = 1000;
const ABNORMAL_CLOSURE = 1006;
const MAX_CLOSE_REASON_BYTES = 123;

/**
 * The modern ws-rooms client, for browsers and Node: camelCase names, values decoded by their type
 * digit, typed events, automatic reconnection with backoff, and a bounded buffer for messages sent
 * while offline.
 *
 * ```ts
 * interface ChatEvents { chat: string; join: { room: string } }
 * const client = new WsRoomsClient<ChatEvents>('wss://example.com/chat');
 * client.onConnect(() => client.emit('join', { room: 'lobby' })); // rooms are restored by the app
 * client.on('chat', (text) => console.log(text));
 * client.emit('chat', 'hello');
 * ```
 *
 * `Incoming` types the events the server sends (`on`, `once`); `Outgoing` the events the client
 * sends (`emit`), the same map by default. Without type arguments any name goes and values are
 * `unknown`.
 *
 * Errors never escape from socket callbacks: malformed server messages, listener exceptions and
 * reconnection failures are reported to {@link WsRoomsClient.onError}; errors the server reports
 * about this client's messages arrive at {@link WsRoomsClient.onServerError}.
 */
export class WsRoomsClient<
  Incoming extends object = UnknownEvents,
  Outgoing extends object = Incoming,
> {
  private readonly options: ResolvedClientOptions;
  private readonly codec: ClientCodec;
  private readonly backoff: Backoff | null;
  private readonly sendBuffer: SendBuffer<SocketData>;
  private readonly reserved = new ReservedEventRouter();
  private readonly eventHandlers = new Map<string, ListenerRegistry<[unknown]>>();
  private readonly messageListeners = new ListenerRegistry<[NativeMessageData]>();
  private readonly connectListeners = new ListenerRegistry<[]>();
  private readonly disconnectListeners = new ListenerRegistry<[DisconnectInfo]>();
  private readonly stateListeners = new ListenerRegistry<[ClientState, ClientState]>();
  private readonly errorListeners = new ListenerRegistry<[WsRoomsClientError]>();
  private readonly serverErrorListeners = new ListenerRegistry<[WsRoomsServerError]>();
  private readonly reportListenerError = (error: unknown): void => this.listenerFailed(error);

  private currentState: ClientState = 'closed';
  private attempt: Attempt | null = null;
  private retryTimer: { handle: unknown } | null = null;
  private stableTimer: { handle: unknown } | null = null;
  /** Consecutive attempts that ended before their socket opened. */
  private failedAttempts = 0;

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
    this.codec = new ClientCodec(this.options.prefix);
    const reconnect = this.options.reconnect;
    this.backoff =
      reconnect === null ? null : new Backoff({ ...reconnect, random: this.options.timers.random });
    this.sendBuffer = new SendBuffer(this.options.sendBufferSize, this.options.sendBufferPolicy);
    this.reserved.register(ReservedEvent.Error, (value) => this.receiveServerError(value));
    if (this.options.autoConnect) this.connect();
  }

  /** The current {@link ClientState}. */
  get state(): ClientState {
    return this.currentState;
  }

  /** How many messages wait in the send buffer for the connection to open. */
  get bufferedCount(): number {
    return this.sendBuffer.size;
  }

  /**
   * Starts connecting. Does nothing while connecting or open. While a retry is pending it tries at
   * once (useful on the browser's `online` event); after `close()` or after the client gave up it
   * starts over with a fresh backoff schedule.
   */
  connect(): void {
    if (this.attempt !== null) return;
    if (this.currentState === 'reconnecting') {
      this.clearRetryTimer();
      this.openSocket();
      return;
    }
    this.failedAttempts = 0;
    this.backoff?.reset();
    this.setState('connecting');
    this.openSocket();
  }

  /**
   * Closes the connection on purpose: no reconnection follows. If the connection was open,
   * `onDisconnect` listeners run at once with this code and reason, `wasClean: true` and
   * `willReconnect: false`. Messages still in the send buffer stay there for a later `connect()`.
   * @param code a close code the WebSocket API allows: 1000 or 3000-4999. @default 1000
   * @param reason at most 123 bytes of UTF-8. @default ''
   * @throws WsRoomsClientError `WS_ROOMS_CLIENT_INVALID_ARGUMENT` for a code or reason the
   *   WebSocket API would refuse (checked before anything changes).
   */
  close(code: number = NORMAL_CLOSURE, reason = ''): void {
    if (!(code === NORMAL_CLOSURE || (Number.isInteger(code) && code >= 3000 && code <= 4999))) {
      throw new WsRoomsClientError(
        WsRoomsClientErrorCode.InvalidArgument,
        `Invalid close code ${String(code)}: use 1000 or 3000-4999`,
      );
    }
    if (new TextEncoder().encode(reason).length > MAX_CLOSE_REASON_BYTES) {
      throw new WsRoomsClientError(
        WsRoomsClientErrorCode.InvalidArgument,
        `Invalid close reason: longer than ${MAX_CLOSE_REASON_BYTES} bytes of UTF-8`,
      );
    }
    this.clearRetryTimer();
    this.clearStableTimer();
    const attempt = this.attempt;
    this.attempt = null;
    if (attempt !== null) {
      detach(attempt.socket);
      closeQuietly(attempt.socket, code, reason);
    }
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
  on<K extends EventName<Incoming>>(event: K, handler: EventHandler<Incoming[K]>): Unsubscribe {
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
  once<K extends EventName<Incoming>>(event: K, handler: EventHandler<Incoming[K]>): Unsubscribe {
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
  off<K extends EventName<Incoming>>(event: K, handler?: EventHandler<Incoming[K]>): void {
    const handlers = this.eventHandlers.get(event);
    if (handlers === undefined) return;
    if (handler === undefined) handlers.clear();
    else handlers.remove(handler as EventHandler<unknown>);
    if (handlers.size === 0) this.eventHandlers.delete(event);
  }

  /**
   * Sends an event. The type digit follows from the value (string 0, safe integer 1, boolean 2,
   * bytes 3 as a binary frame, anything else 4 as JSON). While the connection is not open the
   * message waits in the send buffer and goes out, in order, once it opens.
   * @throws WsRoomsClientError `WS_ROOMS_INVALID_EVENT_NAME` for an invalid or reserved name;
   *   `WS_ROOMS_INVALID_PAYLOAD` for a value JSON cannot encode; `WS_ROOMS_CLIENT_BUFFER_FULL` when
   *   not open, the buffer is full and the policy is `'reject'`.
   */
  emit<K extends EventName<Outgoing>>(event: K, value: Outgoing[K]): void {
    assertUserEventName(event);
    this.send(this.codec.encode(event, value));
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
   * Listens to native messages (those without the event prefix): text frames arrive as strings,
   * binary frames (e.g. under the server's `binaryMessages`) as `Uint8Array`.
   */
  onMessage(listener: (data: NativeMessageData) => void): Unsubscribe {
    return this.messageListeners.add(listener);
  }

  /**
   * Listens to the socket opening. It fires on **every** (re)connect, so this is where an app
   * restores its server-side state, which a new connection does not have: rooms are server-side, so
   * emit your join events here. Messages sent from this listener go out before the messages
   * buffered while offline.
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
      const url = resolveSocketUrl(typeof this.url === 'function' ? this.url() : this.url);
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
    const attempt: Attempt = { socket, opened: false, announced: false };
    this.attempt = attempt;
    // The error listener goes on before anything else: with `ws`, an 'error' without a listener
    // would crash the process. Details come with the close event that always follows.
    socket.onerror = ignore;
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => this.handleOpen(attempt);
    socket.onmessage = (event: MessageEventLike) => this.handleMessage(attempt, event.data);
    socket.onclose = (event: CloseEventLike) => this.handleClose(attempt, event);
    watchHandshakeStatus(socket, (status) => {
      attempt.handshakeStatus = status;
      closeQuietly(socket);
    });
  }

  private handleOpen(attempt: Attempt): void {
    if (attempt !== this.attempt) return;
    attempt.opened = true;
    this.failedAttempts = 0;
    this.startStableTimer();
    this.setState('open');
    // A state listener may have closed the client already; then there is no connection to announce.
    if (attempt !== this.attempt) return;
    attempt.announced = true;
    this.connectListeners.emit(this.reportListenerError);
    this.flush(attempt);
  }

  private handleMessage(attempt: Attempt, data: unknown): void {
    if (attempt !== this.attempt) return;
    const message = this.codec.decode(data);
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
        return;
    }
  }

  private handleClose(attempt: Attempt, event: CloseEventLike): void {
    if (attempt !== this.attempt) return;
    this.attempt = null;
    detach(attempt.socket);
    this.clearStableTimer();
    const details: CloseDetails = {
      code: typeof event.code === 'number' ? event.code : ABNORMAL_CLOSURE,
      reason: typeof event.reason === 'string' ? event.reason : '',
      wasClean: event.wasClean === true,
      opened: attempt.opened,
      handshakeStatus: attempt.handshakeStatus,
    };
    if (!attempt.opened) this.failedAttempts++;
    const decision = this.decideReconnect(details);
    if (decision.reconnect) {
      // The retry is scheduled before listeners hear of the state, so that a listener calling
      // close() or connect() finds it and cancels or replaces it.
      this.scheduleRetry();
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

  /**
   * The reconnect decision for an unexpected close, in order: a refused handshake status, the
   * switch, the `shouldReconnect` policy, then the limit on attempts that never opened. Whenever the
   * client stops without ever having opened, the error says why.
   */
  private decideReconnect(details: CloseDetails): ReconnectDecision {
    const status = details.handshakeStatus;
    const refused =
      status !== undefined && !isRetryableHandshakeStatus(status)
        ? new WsRoomsClientError(
            WsRoomsClientErrorCode.HandshakeRefused,
            `The server refused the WebSocket handshake with HTTP status ${status}`,
            { status },
          )
        : undefined;
    const failedBeforeOpen = details.opened
      ? undefined
      : new WsRoomsClientError(
          WsRoomsClientErrorCode.ConnectFailed,
          status === undefined
            ? `The connection closed before opening (code ${details.code})`
            : `The server answered the WebSocket handshake with HTTP status ${status}`,
          { status },
        );
    const reconnect = this.options.reconnect;
    if (reconnect === null || !this.askShouldReconnect(reconnect.shouldReconnect, details)) {
      return { reconnect: false, error: refused ?? failedBeforeOpen };
    }
    if (!details.opened && this.failedAttempts >= reconnect.maxFailedAttempts) {
      return {
        reconnect: false,
        error:
          refused ??
          new WsRoomsClientError(
            WsRoomsClientErrorCode.ReconnectGaveUp,
            `Gave up after ${this.failedAttempts} consecutive attempts that closed before opening ` +
              '(in a browser this is how a refused handshake shows, e.g. a 401 or 403)',
            { status },
          ),
      };
    }
    return { reconnect: true };
  }

  /** Runs the application's policy inside a socket callback: an exception counts as "no". */
  private askShouldReconnect(
    policy: (close: CloseDetails) => boolean,
    details: CloseDetails,
  ): boolean {
    try {
      return policy(details) === true;
    } catch (error) {
      this.listenerFailed(error);
      return false;
    }
  }

  private scheduleRetry(): void {
    const delay = (this.backoff as Backoff).next();
    const timer = {
      handle: this.options.timers.setTimeout(() => {
        if (this.retryTimer !== timer) return;
        this.retryTimer = null;
        this.openSocket();
      }, delay),
    };
    this.retryTimer = timer;
  }

  private clearRetryTimer(): void {
    if (this.retryTimer === null) return;
    this.options.timers.clearTimeout(this.retryTimer.handle);
    this.retryTimer = null;
  }

  private startStableTimer(): void {
    const reconnect = this.options.reconnect;
    if (reconnect === null) return;
    const timer = {
      handle: this.options.timers.setTimeout(() => {
        if (this.stableTimer !== timer) return;
        this.stableTimer = null;
        this.backoff?.reset();
      }, reconnect.resetAfter),
    };
    // This timer only bookkeeps; it must not keep a Node process alive on its own.
    (timer.handle as { unref?: () => void } | null)?.unref?.();
    this.stableTimer = timer;
  }

  private clearStableTimer(): void {
    if (this.stableTimer === null) return;
    this.options.timers.clearTimeout(this.stableTimer.handle);
    this.stableTimer = null;
  }

  private send(data: SocketData): void {
    const attempt = this.attempt;
    if (attempt !== null && attempt.opened && attempt.socket.readyState === ReadyState.Open) {
      attempt.socket.send(data);
      return;
    }
    const dropped = this.sendBuffer.push(data);
    if (dropped !== undefined) {
      this.reportError(
        new WsRoomsClientError(
          WsRoomsClientErrorCode.MessageDropped,
          `The send buffer is full (${this.sendBuffer.capacity} messages): the oldest message was dropped`,
        ),
      );
    }
  }

  /** Sends the buffered messages in order, for as long as this attempt's socket stays open. */
  private flush(attempt: Attempt): void {
    while (
      this.sendBuffer.size > 0 &&
      this.attempt === attempt &&
      attempt.socket.readyState === ReadyState.Open
    ) {
      attempt.socket.send(this.sendBuffer.shift() as SocketData);
    }
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
    this.stateListeners.emit(this.reportListenerError, state, previous);
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

/**
 * Checks an event name an application listens to or emits.
 * @throws WsRoomsClientError `WS_ROOMS_INVALID_EVENT_NAME`
 */
function assertUserEventName(event: unknown): void {
  assertEventName(event);
  if (ReservedEventRouter.isReserved(event)) {
    throw new WsRoomsClientError(
      WsRoomsClientErrorCode.InvalidEventName,
      `Invalid event name "${event}": names starting with "ws-rooms:" are reserved by ws-rooms`,
      { event },
    );
  }
}

function ignore(): void {
  // Errors are reported through the close event that follows them.
}

/** Stops a socket from reaching the client; the error slot keeps a no-op (see `openSocket`). */
function detach(socket: WebSocketLike): void {
  socket.onopen = null;
  socket.onmessage = null;
  socket.onclose = null;
  socket.onerror = ignore;
}

/** Closes a socket that the client no longer follows; a socket that refuses is already gone. */
function closeQuietly(socket: WebSocketLike, code?: number, reason?: string): void {
  try {
    if (code === undefined) socket.close();
    else socket.close(code, reason);
  } catch {
    // Some implementations throw on close() in odd states; the socket is abandoned either way.
  }
}
