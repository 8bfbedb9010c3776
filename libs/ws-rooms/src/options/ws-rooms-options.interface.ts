import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { CanActivate, Type } from '@nestjs/common';
import type { WsRoomsError } from '../errors/ws-rooms.error';
import type { RoomStore } from '../store/room-store.interface';
import type {
  DashboardOptions,
  MetricsOptions,
  ResolvedDashboardOptions,
  ResolvedMetricsOptions,
} from '../observability/observability-options';
import type { AsyncApiOptions, ResolvedAsyncApiOptions } from '../asyncapi/asyncapi-options';

/** What the `error` option receives: the refused upgrade. */
export interface UpgradeErrorContext {
  /** The HTTP upgrade request that is being refused. */
  readonly request: IncomingMessage;
  /** The raw socket of the request; write an HTTP response to it and destroy it. */
  readonly socket: Duplex;
  /**
   * Headers the answer should carry besides the status, e.g. `Retry-After` on a 429 from
   * `maxConnectionRatePerAddress`. A custom `error` should write them too.
   */
  readonly responseHeaders?: Readonly<Record<string, string>>;
}

/** What `authenticate` returns (or resolves with) to refuse an upgrade with 401. */
export type AuthenticateRefusal = undefined | null | false;

/**
 * Options of one websocket endpoint. Every limit has a safe default; everything is validated once,
 * when the module starts, and a wrong value fails the start-up with a `WS_ROOMS_INVALID_OPTION` error.
 *
 * `TPrincipal` is what `authenticate` accepts a connection with; it types `presence.metadata`'s
 * principal. It is inferred from `authenticate` by `defineWsRoomsOptions`, and read back with
 * `WsRoomsPrincipal<typeof options>` to type `WsConnection`'s principal.
 */
export interface WsRoomsOptions<TPrincipal = unknown> {
  /**
   * The HTTP path of the upgrade, e.g. `/my_endpoint`. An empty string disables the websocket server.
   */
  endpoint: string;
  /**
   * The endpoint's name, used to pick it from a gateway (`@WsRoomsGateway({ endpoint: name })`) and to
   * inject its services (`@InjectRooms(name)`), when an app serves more than one endpoint.
   * @default 'default'
   */
  name?: string;
  /**
   * The text every event message starts with on the wire (`<messagePrefix><event>;<type>;<value>`),
   * which tells event messages from native ones. `go-websocket-message:` (`LEGACY_PREFIX`) speaks
   * to Iris 6.0–6.1 pages. Clients must use the same one.
   * @default 'iris-websocket-message:'
   */
  messagePrefix?: string;
  /**
   * The former name of {@link WsRoomsOptions.messagePrefix}, still accepted. Giving both with
   * different values fails the start-up with `WS_ROOMS_INVALID_OPTION`.
   * @deprecated use `messagePrefix` (the same setting under a name that cannot be mistaken for the
   * Redis store's `keyPrefix` or the metrics' `metricNamePrefix`)
   */
  prefix?: string;
  /**
   * Milliseconds a connection's send queue may stay non-empty without draining before the
   * connection is cut as a slow consumer (close 1008).
   * @default 15000
   */
  writeTimeout?: number;
  /**
   * Milliseconds a connection has to answer a ping; without a pong within it, the connection is
   * terminated.
   * @default 60000
   */
  pongTimeout?: number;
  /**
   * Milliseconds between two pings of one connection. Must be less than `pongTimeout`.
   * @default 9/10 of `pongTimeout`
   */
  pingPeriod?: number;
  /**
   * Largest inbound message in bytes (the limit itself is allowed); a larger one closes the
   * connection with 1009. The original Iris default (1024) cuts ordinary JSON chat messages.
   * @default 65536
   */
  maxMessageSize?: number;
  /**
   * Largest number of bytes that may wait in one connection's send queue (kernel buffer
   * excluded). A connection over it is cut as a slow consumer (close 1008), so a slow client never
   * makes the server's memory grow without bound.
   * @default 1048576
   */
  maxBufferedBytes?: number;
  /**
   * Send every server-to-client message as a binary frame. The original Iris browser client cannot
   * read binary frames; ws-rooms' own clients can.
   * @default false
   */
  binaryMessages?: boolean;
  /**
   * Accepted for Iris configurations. Node sizes socket reads itself (64 KiB chunks) and offers no
   * per-socket receive buffer, so this value is validated and otherwise has no effect; inbound
   * memory is bounded by `maxMessageSize`.
   * @default 0
   */
  readBufferSize?: number;
  /**
   * Bytes of frames coalesced for one connection before they are written. Frames for one
   * connection produced in the same event-loop turn are written with one system call; a batch that
   * reaches this size is written at once.
   * @default 65536
   */
  writeBufferSize?: number;
  /**
   * Which upgrade request headers the connection keeps (`connection.headers`): `true` all of them
   * within `maxHeaderBytes`, a list of (lower-case) names only those, `false` none (and no URL).
   * @default true
   */
  headers?: boolean | readonly string[];
  /**
   * Answers an upgrade that ws-rooms refuses: an origin that is not allowed (403), an id that could
   * not be assigned (500), a server that is shutting down (503). The default writes the status with
   * the reason as a plain-text body and closes the socket. Handshakes that are malformed at the
   * websocket level are answered by `ws` itself (400, with `Sec-WebSocket-Version` where the RFC asks
   * for it), and upgrades to a path no endpoint serves get 404.
   * @default writeHttpError
   */
  error?: (context: UpgradeErrorContext, status: number, reason: string) => void;
  /**
   * Decides alone whether an upgrade's origin is accepted. When not set, the default policy
   * applies: no `Origin` header (non-browser clients) or the request's own host passes, plus any
   * origin of `allowedOrigins`; everything else gets 403.
   */
  checkOrigin?: (request: IncomingMessage) => boolean | Promise<boolean>;
  /**
   * Exact origins (`scheme://host[:port]`) accepted besides the same-origin ones. Compared after
   * normalisation (lower case, default port removed), never by substring. `'*'` accepts every
   * origin (a warning is logged at start-up).
   * @default []
   */
  allowedOrigins?: readonly string[];
  /**
   * Host names the upgrade's `Host` header must name, each exact (`chat.example.com`, compared
   * case-insensitively, never by suffix), with an optional port (`chat.example.com:8443`; without a
   * port any port passes). Upgrades to any other host get 403 `Host not allowed` before the origin
   * check (counted under the `origin` refusal reason), and same-origin requests then only pass for
   * a listed host. List every name clients use, `localhost` or `127.0.0.1` included.
   *
   * Why: the default origin policy accepts a page whose `Origin` matches `Host`, and both come from
   * the browser. Under DNS rebinding, a page on `attacker.example` whose name is made to resolve
   * to your server (or to 127.0.0.1 on a developer's machine) sends `Host: attacker.example` and
   * `Origin: http://attacker.example`: same origin, so it gets in, and can read whatever is sent
   * to anonymous connections. With `allowedHosts` that request is refused. The dashboard never
   * trusts `Host`: it accepts loopback names and these hosts only.
   * @default undefined: any host (same-origin is then decided by whatever `Host` the client sent)
   */
  allowedHosts?: readonly string[];
  /**
   * Creates a connection's id. Must return a non-empty string unique among live connections, that
   * `isConnectionId` recognises. Setting it requires `isConnectionId` too.
   * @default 22 characters [A-Za-z0-9_-] (128 random bits from a cryptographic source)
   */
  idGenerator?: (request: IncomingMessage) => string;
  /**
   * Tells connection ids from room names. Ids and room names are disjoint: `to(name)` reaches the
   * connection with that id when `isConnectionId(name)` is true and the room's members otherwise,
   * and a join to a room name shaped like an id is refused (`WS_ROOMS_INVALID_ROOM_NAME`), so that
   * no client can make a room that receives what is sent to somebody else's id. Must accept every
   * id `idGenerator` makes, and should accept as little else as possible; it is called on every
   * target of every broadcast, so keep it cheap (e.g. a length and alphabet check).
   * @default accepts exactly the default ids' shape (22 characters of [A-Za-z0-9_-])
   */
  isConnectionId?: (name: string) => boolean;
  /**
   * Longest room name, in UTF-8 bytes; a longer one fails the join with
   * `WS_ROOMS_ROOM_NAME_TOO_LONG`. With `maxRoomsPerConnection` it bounds what one connection's
   * memberships cost (100 rooms of 128 bytes: under 13 KiB).
   * @default 128
   */
  maxRoomNameLength?: number;
  /**
   * Milliseconds an upgrade may spend in the origin check, `authenticate`, the handshake guards and
   * the recovery lookup; past it the client gets 408 and its connection slot is given back.
   * @default 10000
   */
  handshakeTimeout?: number;
  /**
   * Most bytes of the upgrade request a connection keeps for its life (URL, header names and
   * values): headers past it are left out, whole. See `headers`.
   * @default 4096
   */
  maxHeaderBytes?: number;
  /**
   * Path at which the browser client script is served (`GET`/`HEAD`), or `false` to not serve it.
   * @default '/iris-ws.js'
   */
  clientScriptPath?: string | false;
  /**
   * Milliseconds given to a closing handshake (and to graceful shutdown) before the socket is
   * destroyed.
   * @default 5000
   */
  closeTimeout?: number;
  /**
   * Called with every protocol-level error of a connection (a malformed message, a conversion
   * failure), after the error event was sent to the client. Handler errors go to exception filters.
   */
  onError?: (error: WsRoomsError, connectionId: string) => void;
  /**
   * Where room state beyond this process lives. The default keeps everything in memory (one node);
   * a Redis store makes rooms, broadcasts and queries span several nodes.
   * @default new MemoryRoomStore()
   */
  store?: RoomStore;
  /**
   * Authenticates an upgrade before it happens. Return the principal (any value but `undefined`,
   * `null` or `false`) to accept; it is then `connection.principal`. Return `undefined`, `null` or
   * `false` to refuse with 401; throw an `HttpException` to refuse with its status. Runs after the
   * origin check and before `handshakeGuards`, so unauthenticated sockets never reach room state.
   * Use `forRootAsync` to give it DI services (e.g. a `JwtService`).
   */
  authenticate?: (
    request: IncomingMessage,
  ) => TPrincipal | AuthenticateRefusal | PromiseLike<TPrincipal | AuthenticateRefusal>;
  /**
   * Nest guards run on the upgrade request (an `http` execution context whose request is the
   * `IncomingMessage`, with `request.principal` set by `authenticate`). A guard returning false
   * refuses with 403; a thrown `HttpException` refuses with its status. Classes are resolved through DI.
   * @default []
   */
  handshakeGuards?: readonly (CanActivate | Type<CanActivate>)[];
  /**
   * Most connections this endpoint holds on this node; upgrades beyond get HTTP 503.
   * @default 100000
   */
  maxConnections?: number;
  /**
   * Most connections from one remote address; upgrades beyond get HTTP 503. 0 disables the limit.
   * @default 1000
   */
  maxConnectionsPerAddress?: number;
  /**
   * Sustained upgrades per second allowed from one remote address (a token bucket of
   * `maxConnectionBurstPerAddress`), checked first, before any other handshake check. An upgrade
   * beyond it gets HTTP 429 with `Retry-After` (counted under the `capacity` refusal reason), so a
   * client that connects and disconnects in a loop costs the server little and logs nothing. Behind
   * a reverse proxy every client has the proxy's address: raise it, or set it to 0 and limit at
   * the proxy. 0 disables the limit.
   * @default 20
   */
  maxConnectionRatePerAddress?: number;
  /**
   * Upgrades one address may make at once above the sustained rate (the bucket's size).
   * @default 40
   */
  maxConnectionBurstPerAddress?: number;
  /**
   * Most remote addresses whose connection rate is tracked at once. An address whose bucket has
   * refilled is forgotten; past this many, the address seen least recently is forgotten first
   * (its bucket starts full again). Bounds the limiter's memory (about 100 bytes an address).
   * @default 10000
   */
  maxConnectionRateAddresses?: number;
  /**
   * Sustained inbound messages per second allowed per connection (token bucket); a connection that
   * exceeds `maxMessageBurst` is closed with 1008. 0 disables the limit.
   * @default 100
   */
  maxMessageRate?: number;
  /**
   * Messages a connection may send at once above the sustained rate (the bucket's size).
   * @default 200
   */
  maxMessageBurst?: number;
  /**
   * Most rooms one connection may be in (its own-id room not counted); a join beyond fails with
   * `WS_ROOMS_ROOM_LIMIT`.
   * @default 100
   */
  maxRoomsPerConnection?: number;
  /**
   * Longest event name, in bytes, accepted from clients; longer ones are malformed.
   * @default 128
   */
  maxEventNameLength?: number;
  /**
   * Deepest nesting of arrays and objects accepted in a JSON payload; deeper ones are malformed
   * (checked before parsing, so a hostile payload costs one linear scan).
   * @default 32
   */
  maxJsonDepth?: number;
  /**
   * Most values (every array element, object member and scalar) in a JSON payload; more is
   * `WS_ROOMS_JSON_TOO_LARGE`, found by the same linear scan before parsing, so a wide payload
   * (thousands of keys) costs no parse and no pipe. Handlers' pipes walk every value, so the bound
   * is the cost of one message: raise it for applications that receive large documents.
   * @default 2048
   */
  maxJsonValues?: number;
  /**
   * Longest string (in characters of the JSON text) in a JSON payload; longer is
   * `WS_ROOMS_JSON_TOO_LARGE`.
   * @default 65536
   */
  maxJsonStringLength?: number;
  /**
   * Negotiate permessage-deflate with clients that offer it. Off by default: it costs CPU and memory
   * per connection, and broadcasts can no longer share one pre-framed buffer. Inflated messages are
   * still bounded by `maxMessageSize` (a decompression bomb is closed with 1009).
   * @default false
   */
  perMessageDeflate?: boolean;
  /**
   * Milliseconds a server-to-client `connection.request()` waits for its reply by default.
   * @default 10000
   */
  requestTimeout?: number;
  /**
   * Most asynchronous handlers (and listeners) one connection may have running at once. A message
   * that arrives while as many are still running is not handled: an event is answered with
   * `ws-rooms:error` `WS_ROOMS_TOO_MANY_PENDING`, a request with an error reply of that code
   * (status 429). Replies to server requests are never refused.
   * @default 64
   */
  maxPendingHandlers?: number;
  /**
   * Most server-to-client requests (`connection.request()`, and one per recipient of
   * `to(...).request()`) waiting for a reply from one connection; one more is rejected at once with
   * `WS_ROOMS_REQUEST_LIMIT`.
   * @default 256
   */
  maxPendingRequests?: number;
  /**
   * Milliseconds a fragmented message may stay unfinished (its first fragment received, not its
   * last); past it the connection is closed with 1008 `message not completed in time`. Checked
   * every quarter of it (at most every second). `0` disables it.
   * @default 20000
   */
  fragmentTimeout?: number;
  /**
   * Missed-message recovery for clients that reconnect within a window (the modern client asks for
   * it; the original Iris client never does and sees no change). `false` disables it.
   * @default false
   */
  recovery?: false | RecoveryOptions;
  /**
   * Presence: which rooms track their members with metadata, and what metadata a member shows.
   * `false` disables it.
   * @default false
   */
  presence?: false | PresenceOptions<TPrincipal>;
  /**
   * A Prometheus endpoint (`GET /metrics` by default) with this endpoint's counters, labelled
   * `endpoint="<name>"`. Needs the `prom-client` package, loaded only when this option is on.
   * `false` disables it.
   * @default false
   */
  metrics?: false | MetricsOptions;
  /**
   * A live dashboard page (connections, rooms, message rates) at `/ws-rooms/dashboard` by default,
   * updated over a websocket feed of its own. `false` disables it.
   * @default false
   */
  dashboard?: false | DashboardOptions;
  /**
   * An AsyncAPI 3.0.0 document of the endpoint (`GET /asyncapi.json` by default), generated once
   * from its gateways: events, payload schemas, requests and replies, reserved events, error codes.
   * Endpoints that give the same path share one document. `false` disables it.
   * @default false
   */
  asyncapi?: false | AsyncApiOptions;
}

/** Options of missed-message recovery. */
export interface RecoveryOptions {
  /**
   * Milliseconds after a disconnect during which the client may come back and recover its id,
   * rooms and missed room messages; also the longest age of kept messages.
   * @default 120000
   */
  windowMs?: number;
  /**
   * Most broadcast messages kept for recovery (the oldest are dropped first).
   * @default 1000
   */
  maxMessages?: number;
  /**
   * Most bytes of broadcast messages the in-memory log keeps (the oldest are dropped first), so that
   * the log is bounded in bytes as well as in count and age. A shared (Redis) log is bounded by
   * `maxMessages`, the window and the size of one message between nodes.
   * @default 16777216 (16 MiB)
   */
  maxLogBytes?: number;
  /**
   * Most sessions of cut connections this node keeps; past it the oldest is given up (its client
   * then starts a fresh session).
   * @default 10000
   */
  maxSessions?: number;
  /**
   * Most bytes of kept sessions on this node (ids, tokens, room names), oldest given up first.
   * @default 16777216 (16 MiB)
   */
  maxSessionBytes?: number;
  /**
   * Most kept sessions per remote address; a new one gives up the address's oldest, so a client
   * that cuts its connection in a loop only ever evicts its own sessions.
   * @default 8
   */
  maxSessionsPerAddress?: number;
}

/** Options of presence; `TPrincipal` is the principal `authenticate` accepts connections with. */
export interface PresenceOptions<TPrincipal = unknown> {
  /** Rooms that track presence. */
  rooms: readonly string[] | ((room: string) => boolean);
  /**
   * The metadata a member shows to others, e.g. the user name from the principal.
   * @default () => ({})
   */
  // A method, so that options typed with a principal remain options of the untyped kind.
  metadata?(connection: {
    readonly id: string;
    readonly principal: TPrincipal;
  }): Record<string, unknown>;
}

/** The options once defaults are applied; what the server runs with. */
export interface ResolvedWsRoomsOptions extends Required<
  Omit<
    WsRoomsOptions,
    | 'checkOrigin'
    | 'onError'
    | 'idGenerator'
    | 'error'
    | 'allowedOrigins'
    | 'store'
    | 'prefix'
    | 'authenticate'
    | 'handshakeGuards'
    | 'recovery'
    | 'presence'
    | 'metrics'
    | 'dashboard'
    | 'asyncapi'
  >
> {
  readonly checkOrigin: WsRoomsOptions['checkOrigin'];
  readonly onError: WsRoomsOptions['onError'];
  readonly idGenerator: NonNullable<WsRoomsOptions['idGenerator']>;
  readonly error: NonNullable<WsRoomsOptions['error']>;
  readonly allowedOrigins: readonly string[];
  readonly store: RoomStore;
  readonly authenticate: ((request: IncomingMessage) => unknown) | undefined;
  readonly handshakeGuards: readonly (CanActivate | Type<CanActivate>)[];
  readonly recovery: Required<RecoveryOptions> | false;
  readonly presence: Required<PresenceOptions> | false;
  readonly metrics: ResolvedMetricsOptions | false;
  readonly dashboard: ResolvedDashboardOptions | false;
  readonly asyncapi: ResolvedAsyncApiOptions | false;
}
