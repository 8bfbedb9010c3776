/**
 * The event map: one type, written once by the application, that both ends of an endpoint check
 * their events and requests against at compile time (the gateway's `WsConnection`, `to(...)`,
 * `RoomsService`, and the client's `WsRoomsClient`). Pure types: this file is shared by the server and
 * the browser client, so it imports nothing that runs.
 */
import type { RESERVED_EVENT_PREFIX } from '../protocol/protocol.constants';

/**
 * The shape of an event map. Each section maps names to types; every section is optional, and a
 * section left out (or empty) is untyped (any name, `unknown` values), so a map can start small.
 *
 * ```ts
 * interface ChatEvents {
 *   toServer: { chat: string; join: string; typing: void };
 *   toClient: { chat: string; members: number };
 *   requestsToServer: { history(room: string): string[] };
 *   requestsToClient: { confirm(question: string): boolean };
 * }
 * // client:  new WsRoomsClient<ChatEvents>(url); client.emit('typing'); client.on('chat', ...)
 * // gateway: (c: WsConnection<ChatData, User, ChatEvents>) => c.to('room1').emit('chat', text)
 * ```
 *
 * An event whose value is `void` (or that accepts `undefined`) is sent without a value:
 * `emit('typing')`; it travels as JSON `null`. Requests are written as functions from the value to
 * the reply (a promised reply is unwrapped); `ping(): 'pong'` takes no value. Values cross the wire
 * as the protocol encodes them: the map is a contract between the two ends, not a runtime check
 * (validate client input in the gateway with pipes).
 */
export interface WsEventMap {
  /** Events the client emits and gateways handle (`client.emit`, `@OnEvent`): name to value. */
  readonly toServer?: object;
  /**
   * Events the server emits and the client listens to (`connection.emit`, `to(room).emit`,
   * `RoomsService.emit`, `client.on`): name to value.
   */
  readonly toClient?: object;
  /**
   * Requests the client sends and gateways answer (`client.request`; the `@OnEvent` handler's
   * return value is the reply): name to `(value) => reply`.
   */
  readonly requestsToServer?: object;
  /**
   * Requests the server sends and the client answers (`connection.request`, `to(room).request`,
   * `client.onRequest`): name to `(value) => reply`.
   */
  readonly requestsToClient?: object;
}

/**
 * Events of an untyped section: any event name, values `unknown` (the server side reads decoded
 * values as `DecodedValue`).
 */
export type UnknownEvents = Record<string, unknown>;

/** Requests of an untyped section: any name, values and replies `unknown`. */
export type UnknownRequests = Record<string, (value: unknown) => unknown>;

/**
 * The map of everything untyped: the default of every generic parameter that takes an event map, so
 * code written without a map keeps compiling and accepts any name.
 */
export interface UntypedEventMap {
  readonly toServer: UnknownEvents;
  readonly toClient: UnknownEvents;
  readonly requestsToServer: UnknownRequests;
  readonly requestsToClient: UnknownRequests;
}

/**
 * One section of a map, or `Fallback` when the map leaves it out or declares no names in it. The
 * second case is `WsEventMap` itself, which is what TypeScript infers for a generic class it
 * resolves from DI (`app.get(RoomsService)`): that must stay untyped, not accept nothing.
 */
type Section<Map, Key extends keyof WsEventMap, Fallback> = Key extends keyof Map
  ? object extends NonNullable<Map[Key]>
    ? Fallback
    : NonNullable<Map[Key]>
  : Fallback;

/** The events the client sends to the server, from a map (untyped when the map has no `toServer`). */
export type ToServerEvents<Map extends WsEventMap> = Section<Map, 'toServer', UnknownEvents>;

/** The events the server sends to the client, from a map (untyped when the map has no `toClient`). */
export type ToClientEvents<Map extends WsEventMap> = Section<Map, 'toClient', UnknownEvents>;

/** The requests the client sends to the server, from a map (untyped without `requestsToServer`). */
export type RequestsToServer<Map extends WsEventMap> = Section<
  Map,
  'requestsToServer',
  UnknownRequests
>;

/** The requests the server sends to the client, from a map (untyped without `requestsToClient`). */
export type RequestsToClient<Map extends WsEventMap> = Section<
  Map,
  'requestsToClient',
  UnknownRequests
>;

/**
 * The names of a section that applications may use: its string keys minus the reserved
 * `ws-rooms:` space. For an untyped section, any string.
 */
export type EventName<Events> = Exclude<
  Extract<keyof Events, string>,
  `${typeof RESERVED_EVENT_PREFIX}${string}`
>;

/**
 * The value argument of an `emit`: optional when the value may be `undefined` (a `void` event, an
 * untyped one), required otherwise.
 */
export type EventArgs<Value> = undefined extends Value ? [value?: Value] : [value: Value];

/**
 * The value a request carries: its function's parameter; `undefined` for a request declared
 * without one (`ping(): 'pong'`), `unknown` for an untyped one.
 */
export type RequestValue<Requests, K extends keyof Requests> = Requests[K] extends (
  ...args: infer Args
) => unknown
  ? Args extends readonly []
    ? undefined
    : Args extends readonly [infer Value, ...unknown[]]
      ? Value
      : Args extends readonly [(infer Value)?, ...unknown[]]
        ? Value | undefined
        : unknown
  : never;

/** The reply a request resolves with: its function's return type, a promise unwrapped. */
export type RequestReply<Requests, K extends keyof Requests> = Requests[K] extends (
  ...args: never[]
) => infer Reply
  ? Awaited<Reply>
  : never;

/**
 * The arguments after the name of a `request` call: the value (optional when it may be
 * `undefined`), then the call's options.
 */
export type RequestArgs<Requests, K extends keyof Requests, Options> =
  undefined extends RequestValue<Requests, K>
    ? [value?: RequestValue<Requests, K>, options?: Options]
    : [value: RequestValue<Requests, K>, options?: Options];

/**
 * The principal an `authenticate` function accepts with: what it returns or resolves with, minus the
 * refusals (`undefined`, `null`, `false`). Name the principal once, from the function itself:
 *
 * ```ts
 * const authenticate = async (request: IncomingMessage) => users.fromToken(tokenOf(request)); // User | null
 * type ChatConnection = WsConnection<ChatData, PrincipalOf<typeof authenticate>, ChatEvents>;
 * ```
 *
 * For `authenticate` written inline in the options, `defineWsRoomsOptions` and
 * `WsRoomsPrincipal<typeof options>` give the same type.
 */
export type PrincipalOf<Authenticate extends (...args: never[]) => unknown> = Exclude<
  Awaited<ReturnType<Authenticate>>,
  undefined | null | false
>;
