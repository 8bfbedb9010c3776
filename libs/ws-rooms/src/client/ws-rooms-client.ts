import type { ClientCodec } from './client-codec';
import type { WsRoomsClientError, WsRoomsServerError } from './client-errors';
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
import { resolveClientOptions, type WsRoomsClientOptions } from './client-options';
import { createClientParts } from './client-parts';
import type { ClientPresence } from './client-presence';
import type { ClientRequests } from './client-requests';
import type {
  ClientState,
  DisconnectInfo,
  NativeMessageData,
  RequestOptions,
} from './client-types';
import { assertCloseArguments, NORMAL_CLOSURE } from './connection-attempt';
import type { ConnectionGreeting } from './connection-greeting';
import type { ConnectionLoop } from './connection-loop';
import type { ErrorReporter } from './error-reporter';
import type { EventListeners } from './event-listeners';
import type { Unsubscribe } from './listener-registry';
import type { Outbox } from './outbox';
import type { PresenceChange, PresenceMember } from './presence-view';
import type { RecoveryResult } from './recovery-session';
import type { RawRequestHandler } from './request-handlers';
import { assertUserEventName } from './reserved-event-router';

export type {
  ClientState,
  DisconnectInfo,
  NativeMessageData,
  RequestOptions,
} from './client-types';

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
  private readonly codec: ClientCodec;
  private readonly errors: ErrorReporter;
  private readonly events: EventListeners;
  private readonly presenceFeed: ClientPresence;
  private readonly outbox: Outbox;
  private readonly requests: ClientRequests;
  private readonly greeting: ConnectionGreeting;
  private readonly loop: ConnectionLoop;

  /**
   * @param url the server endpoint: `ws(s)://…`, `http(s)://…`, a path such as `/chat` (browsers),
   *   or a function returning one, called before every attempt (e.g. to put a fresh token in it).
   * @throws WsRoomsClientError `WS_ROOMS_CLIENT_INVALID_OPTION` for an invalid option;
   *   `WS_ROOMS_CLIENT_NO_WEBSOCKET` when no WebSocket implementation is available.
   */
  constructor(url: string | (() => string), options: WsRoomsClientOptions = {}) {
    const parts = createClientParts(url, resolveClientOptions(options));
    this.codec = parts.codec;
    this.errors = parts.errors;
    this.events = parts.events;
    this.presenceFeed = parts.presence;
    this.outbox = parts.outbox;
    this.requests = parts.requests;
    this.greeting = parts.greeting;
    this.loop = parts.loop;
    if (parts.autoConnect) this.connect();
  }

  /** The current {@link ClientState}. */
  get state(): ClientState {
    return this.loop.state;
  }

  /** How many messages (requests included) wait in the send buffer for the connection to open. */
  get bufferedCount(): number {
    return this.outbox.size;
  }

  /**
   * The connection id the server assigned, which is also the name of the room that reaches only this
   * client. The server tells it as the connection's first message (`ws-rooms:session` with the
   * `recovery` option, `ws-rooms:identity` otherwise), and the client is `'open'` only once it
   * arrived, so `onConnect` listeners already see it. After a reconnect it is the new connection's
   * id (after a recovery, the same one); while reconnecting it is still the previous one.
   * `undefined` before the first connection, with the `identity` option off (and no recovery), and
   * against a server that does not tell it (before 0.2, or recovery asked of a server without it).
   */
  get id(): string | undefined {
    return this.greeting.id;
  }

  /**
   * This client's view of a presence-tracked room: the members with their metadata, in join order,
   * itself included once it joined. Kept from the server's presence events (see `onPresence`);
   * empty for a room the client is not in or that does not track presence.
   */
  presence(room: string): PresenceMember[] {
    return this.presenceFeed.view.members(room);
  }

  /**
   * Starts connecting. Does nothing while connecting or open. While a retry is pending it tries at
   * once (useful on the browser's `online` event); after `close()` or after the client gave up it
   * starts over with a fresh backoff schedule.
   */
  connect(): void {
    this.loop.connect();
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
    this.loop.close(code, reason);
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
    return this.events.on(event, handler as EventHandler<unknown>);
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
    this.events.off(event, handler as EventHandler<unknown> | undefined);
  }

  /**
   * Listens to every event of the server, whatever its name: the listener gets the name and the
   * decoded value, after the event's own handlers. Reserved `ws-rooms:*` events and native messages
   * are not events of the application and do not reach it. For logging, and for test clients that
   * record everything from the first message on.
   * @returns a function that removes this listener.
   */
  onAny(listener: (...args: AnyEventArgs<ToClientEvents<Events>>) => void): Unsubscribe {
    return this.events.any.add(listener as (event: string, value: unknown) => void);
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
    this.outbox.send(this.codec.encode(event, args[0]));
  }

  /**
   * Sends a native message, unchanged: a string as a text frame, bytes as a binary frame. Buffered
   * like `emit` while the connection is not open.
   * @throws WsRoomsClientError `WS_ROOMS_CLIENT_BUFFER_FULL` as for `emit`.
   */
  emitMessage(data: string | Uint8Array): void {
    this.outbox.send(data);
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
    const closed = this.loop.state === 'closed';
    return this.requests.request(event, value, options, closed) as Promise<
      RequestReply<RequestsToServer<Events>, K>
    >;
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
    return this.requests.onRequest(event, handler as RawRequestHandler);
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
    return this.presenceFeed.listeners.add(listener);
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
    return this.greeting.recoveryListeners.add(listener);
  }

  /**
   * Listens to native messages (those without the event prefix): text frames arrive as strings,
   * binary frames (e.g. under the server's `binaryMessages`) as `Uint8Array`.
   */
  onMessage(listener: (data: NativeMessageData) => void): Unsubscribe {
    return this.events.native.add(listener);
  }

  /**
   * Listens to the connection becoming ready (`'open'`). It fires on **every** (re)connect, so this
   * is where an app restores its server-side state, which a new connection does not have: rooms are
   * server-side, so emit your join events here. Messages sent from this listener go out before the
   * messages buffered while offline. It fires once the server told the connection's id (so `id` is
   * the connection's). With the `recovery` option that is its session, and `onRecovery` follows;
   * rejoin there (when `recovered` is false): a recovered connection already has its rooms back.
   */
  onConnect(listener: () => void): Unsubscribe {
    return this.loop.connectListeners.add(listener);
  }

  /**
   * Listens to the loss of an open connection (each `onConnect` is followed by exactly one
   * `onDisconnect`). `willReconnect` tells whether the client retries by itself. Attempts that fail
   * before opening do not fire it; watch `onStateChange` and `onError` for those.
   */
  onDisconnect(listener: (info: DisconnectInfo) => void): Unsubscribe {
    return this.loop.disconnectListeners.add(listener);
  }

  /** Listens to state changes; called with the new and the previous state. */
  onStateChange(listener: (state: ClientState, previous: ClientState) => void): Unsubscribe {
    return this.loop.stateListeners.add(listener);
  }

  /**
   * Listens to the client's errors: malformed server messages, messages dropped from a full send
   * buffer, listener exceptions (`WS_ROOMS_CLIENT_HANDLER_ERROR` with the exception as `cause`), and
   * the reason the client stopped reconnecting. Without any error listener, listener exceptions are
   * rethrown asynchronously (so they reach the console like any uncaught exception) and the other
   * errors are dropped.
   */
  onError(listener: (error: WsRoomsClientError) => void): Unsubscribe {
    return this.errors.errors.add(listener);
  }

  /**
   * Listens to the errors the server reports about this client's messages (the reserved
   * `ws-rooms:error` event: bad payload, a handler that threw, a guard that refused). The connection
   * stays open.
   */
  onServerError(listener: (error: WsRoomsServerError) => void): Unsubscribe {
    return this.errors.serverErrors.add(listener);
  }
}
