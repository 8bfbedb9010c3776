import type { RESERVED_EVENT_PREFIX } from '../protocol/protocol.constants';

/**
 * The event map of a client created without a type argument: any event name, values `unknown`.
 * Give your own interface instead to have names and payloads checked at compile time:
 *
 * ```ts
 * interface ChatEvents { chat: string; join: { room: string } }
 * const client = new WsRoomsClient<ChatEvents>('/chat');
 * client.on('chat', (text) => text.toUpperCase()); // text: string
 * client.emit('join', { room: 'lobby' });
 * ```
 *
 * The map is a contract with the server, not a runtime check: values arrive as the server encoded
 * them (bytes as `Uint8Array`, JSON parsed, and so on).
 */
export type UnknownEvents = Record<string, unknown>;

/** The names of an event map that applications may use: its string keys, minus the reserved space. */
export type EventName<Events> = Exclude<
  Extract<keyof Events, string>,
  `${typeof RESERVED_EVENT_PREFIX}${string}`
>;

/** A handler of one event: receives the decoded value. */
export type EventHandler<Value> = (value: Value) => void;

/**
 * The request map of a client created without one: any event name, values and replies `unknown`.
 * Give your own interface instead, each request as a function from its value to its reply:
 *
 * ```ts
 * interface ChatRequests { history(room: string): string[]; ping(): 'pong' }
 * const client = new WsRoomsClient<ChatEvents, ChatEvents, ChatRequests>('/chat');
 * const lines = await client.request('history', 'lobby'); // lines: string[]
 * ```
 *
 * The same shape types the requests the server sends to the client (`onRequest`, the fourth type
 * argument), where the function is the handler's signature.
 */
export type UnknownRequests = Record<string, (value: unknown) => unknown>;

/** The value a request of a request map carries (`unknown` for a request declared without one). */
export type RequestValue<Requests, K extends keyof Requests> = Requests[K] extends (
  value: infer Value,
) => unknown
  ? Value
  : never;

/** The reply a request of a request map resolves with (a promised reply is unwrapped). */
export type RequestReply<Requests, K extends keyof Requests> = Requests[K] extends (
  ...args: never[]
) => infer Reply
  ? Awaited<Reply>
  : never;

/** A handler of a server-to-client request: returns the reply, or a promise of it. */
export type RequestHandler<Value, Reply> = (value: Value) => Reply | PromiseLike<Reply>;
