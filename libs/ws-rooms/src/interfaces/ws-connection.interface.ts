import type { IncomingHttpHeaders } from 'node:http';
import type { DecodedValue } from '../protocol/message-codec';
import type { BroadcastOperator } from './broadcast-operator.interface';
import type {
  EventArgs,
  EventName,
  RequestArgs,
  RequestReply,
  RequestsToClient,
  ToClientEvents,
  ToServerEvents,
  UntypedEventMap,
  WsEventMap,
} from './event-map.interface';
import type { Target } from './targets';

/** The part of the upgrade request a connection keeps. */
export interface UpgradeRequestInfo {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly httpVersion: string;
  readonly headers: IncomingHttpHeaders;
}

/** Why a connection ended: the close code and reason that were sent or received. */
export interface DisconnectInfo {
  /** The websocket close code (1006 when the socket ended without a close frame). */
  readonly code: number;
  /** The close reason, possibly empty. */
  readonly reason: string;
  /** Who ended it: the client, the server (`disconnect()`, a limit, shutdown). */
  readonly initiator: 'client' | 'server';
}

/** Per-send options of `emit` / `emitMessage`. */
export interface EmitOptions {
  /**
   * Send in a binary frame whatever the `binaryMessages` option says (clients of ws-rooms read
   * both; the original Iris browser client reads only text).
   */
  readonly binary?: boolean;
  /** Drop the message instead of cutting the connection when its send queue is full. */
  readonly volatile?: boolean;
}

/** Options of a request that expects a reply. */
export interface RequestOptions {
  /** Milliseconds to wait for the reply; defaults to the `requestTimeout` option. */
  readonly timeout?: number;
}

/** A per-connection event listener registered with {@link WsConnection.on}. */
export type ConnectionEventListener = (value: DecodedValue) => void;

/**
 * The value a gateway receives for an event of the client: the map's type, or the decoded value
 * (`DecodedValue`) for an untyped event.
 */
export type InboundValue<Value> = unknown extends Value ? DecodedValue : Value;

/** The arguments after the name of a server-side `emit`: the value (see `EventArgs`), then options. */
export type ServerEmitArgs<Value> = [...EventArgs<Value>, options?: EmitOptions];

/**
 * One live websocket connection (Iris' `Connection`). Handlers receive it through
 * `@ConnectedSocket()`; services find it by id.
 *
 * - `TData` types the per-connection store (`data`);
 * - `TPrincipal` the principal `authenticate` accepted the connection with: name it with
 *   `WsRoomsPrincipal<typeof options>` for options written with `defineWsRoomsOptions`, or
 *   `PrincipalOf<typeof authenticate>`;
 * - `TEvents` the endpoint's {@link WsEventMap}: `emit` and `to(...)` take its `toClient` events,
 *   `request` its `requestsToClient`, `on` listens to its `toServer` events.
 *
 * Declare the connection type of an endpoint once and annotate handlers with it:
 * `type ChatConnection = WsConnection<ChatData, User, ChatEvents>`. Every parameter has a default, so
 * `WsConnection` alone is the untyped connection (any name, any value).
 */
export interface WsConnection<
  TData extends object = Record<string, unknown>,
  TPrincipal = unknown,
  TEvents extends WsEventMap = UntypedEventMap,
> {
  /** The connection's id; also the name of a room whose only member is this connection. */
  readonly id: string;
  /** The endpoint's name (see the `name` option). */
  readonly endpoint: string;
  /**
   * What the connection keeps of its upgrade request (method, url, headers), or undefined when the
   * `headers` option is off. The full `IncomingMessage` is given to `authenticate`, `checkOrigin` and
   * handshake guards; keeping only this much for the connection's lifetime saves about a kilobyte
   * per idle connection.
   */
  readonly upgradeRequest: UpgradeRequestInfo | undefined;
  /** The upgrade request's headers (empty when the `headers` option is off). */
  readonly headers: IncomingHttpHeaders;
  /** The peer's IP address as the socket saw it. */
  readonly remoteAddress: string | undefined;
  /** What the `authenticate` option returned for this connection (or `request.user` set by a guard). */
  readonly principal: TPrincipal;
  /** A store for the application's data about this connection (user, session...). */
  readonly data: TData;
  /**
   * True when the client resumed a previous session within the recovery window: same id, rooms given
   * back and missed room messages replayed (the `recovery` option).
   */
  readonly recovered: boolean;
  /** True until the connection starts closing. */
  readonly isOpen: boolean;
  /**
   * Sends an event message to this connection only (`to(ownId).emit`). The value may be left out for
   * an event whose map type is `void`.
   */
  emit<K extends EventName<ToClientEvents<TEvents>>>(
    event: K,
    ...args: ServerEmitArgs<ToClientEvents<TEvents>[K]>
  ): void;
  /** Sends a native message to this connection only. */
  emitMessage(data: string | Uint8Array, options?: EmitOptions): void;
  /**
   * Sends a request to the client and resolves with its handler's reply (ws-rooms' modern client
   * answers `ws-rooms:req`; the original Iris client does not, so the request times out). Value and
   * reply are typed by the map's `requestsToClient`.
   * @throws WsRoomsError `WS_ROOMS_REQUEST_TIMEOUT`, `WS_ROOMS_NO_HANDLER`, `WS_ROOMS_REQUEST_ABORTED`,
   *   or the client handler's error code (as a rejection).
   */
  request<K extends EventName<RequestsToClient<TEvents>>>(
    event: K,
    ...args: RequestArgs<RequestsToClient<TEvents>, K, RequestOptions>
  ): Promise<RequestReply<RequestsToClient<TEvents>, K>>;
  /**
   * Starts a broadcast from this connection: `to(room)` reaches every member of the room, this
   * connection included if it is one; `to(NotMe)` everyone else; `to(All)` everyone.
   */
  to(target: Target): BroadcastOperator<TEvents>;
  /** Joins a room (idempotent). Local membership applies at once; the promise settles when the store has it. */
  join(room: string): Promise<void>;
  /** Leaves a room (a no-op when not a member). */
  leave(room: string): Promise<void>;
  /** The rooms this connection is in, its own-id room first. */
  rooms(): string[];
  /** True when this connection is in the room (its own-id room included). */
  isIn(room: string): boolean;
  /**
   * Closes the connection with a close frame. Idempotent: the disconnect handlers run once.
   * @param code 1000 (default) or an application code 3000–4999.
   */
  disconnect(code?: number, reason?: string): void;
  /**
   * Registers a listener for one of the client's events on this connection only (Iris' `c.On`).
   * Returns a remover.
   */
  on<K extends EventName<ToServerEvents<TEvents>>>(
    event: K,
    listener: (value: InboundValue<ToServerEvents<TEvents>[K]>) => void,
  ): () => void;
  /** Registers a listener for native messages on this connection only (Iris' `c.OnMessage`). */
  onMessage(listener: (data: Buffer) => void): () => void;
  /** Registers a disconnect listener on this connection only (Iris' `c.OnDisconnect`). */
  onDisconnect(listener: (info: DisconnectInfo) => void): void;
}
