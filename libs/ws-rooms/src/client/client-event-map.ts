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
