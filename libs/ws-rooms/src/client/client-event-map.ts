/**
 * The client's view of the event map. The map itself ({@link WsEventMap}) is shared with the server,
 * so that one interface types both ends:
 *
 * ```ts
 * interface ChatEvents {
 *   toServer: { chat: string; join: string };
 *   toClient: { chat: string };
 *   requestsToServer: { history(room: string): string[] };
 * }
 * const client = new WsRoomsClient<ChatEvents>('/chat');
 * client.on('chat', (text) => text.toUpperCase()); // text: string
 * client.emit('join', 'lobby');
 * ```
 *
 * The map is a contract with the server, not a runtime check: values arrive as the server encoded
 * them (bytes as `Uint8Array`, JSON parsed, and so on).
 */
import type { EventName } from '../interfaces/event-map.interface';

export type {
  EventArgs,
  EventName,
  RequestArgs,
  RequestReply,
  RequestsToClient,
  RequestsToServer,
  RequestValue,
  ToClientEvents,
  ToServerEvents,
  UnknownEvents,
  UnknownRequests,
  UntypedEventMap,
  WsEventMap,
} from '../interfaces/event-map.interface';

/**
 * The arguments of an `onAny` listener: the name of one event of the section and its value, as a
 * union over the names (so checking the name narrows the value); `[string, unknown]` untyped.
 */
export type AnyEventArgs<Events> = {
  [K in EventName<Events>]: [event: K, value: Events[K]];
}[EventName<Events>];

/** A handler of one event: receives the decoded value. */
export type EventHandler<Value> = (value: Value) => void;

/** A handler of a server-to-client request: returns the reply, or a promise of it. */
export type RequestHandler<Value, Reply> = (value: Value) => Reply | PromiseLike<Reply>;
