import type {
  EventArgs,
  EventName,
  RequestArgs,
  RequestReply,
  RequestsToClient,
  ToClientEvents,
  UntypedEventMap,
  WsEventMap,
} from './event-map.interface';
import type { Target } from './targets';

/** Options of a broadcast request. */
export interface BroadcastRequestOptions {
  /** Milliseconds to wait for the replies; defaults to the `requestTimeout` option. */
  readonly timeout?: number;
}

/**
 * A broadcast in the making: `to(room).to(other).except(room3).emit(event, value)`. Each call returns a
 * new operator, so a partially built one can be kept and reused. The message is encoded and framed
 * once, whatever the number of recipients; recipients in several target rooms get it once.
 * `TEvents` is the endpoint's {@link WsEventMap}: `emit` takes its `toClient` events, `request` its
 * `requestsToClient` (untyped by default).
 */
export interface BroadcastOperator<TEvents extends WsEventMap = UntypedEventMap> {
  /** Adds a target room or connection id (or `All`). */
  to(target: Target): BroadcastOperator<TEvents>;
  /** Same as {@link BroadcastOperator.to}. */
  in(target: Target): BroadcastOperator<TEvents>;
  /** Skips the members of this room (or this connection id). */
  except(roomOrId: string): BroadcastOperator<TEvents>;
  /**
   * Marks the send volatile: recipients whose send queue is already backed up are skipped instead of
   * being cut as slow consumers. For data that is stale by the next send (positions, typing).
   */
  readonly volatile: BroadcastOperator<TEvents>;
  /**
   * Sends in binary frames whatever the `binaryMessages` option says (ws-rooms' clients read both;
   * the original Iris browser client reads only text).
   */
  readonly binary: BroadcastOperator<TEvents>;
  /** Sends an event message to every recipient (without a value for a `void` event). */
  emit<K extends EventName<ToClientEvents<TEvents>>>(
    event: K,
    ...args: EventArgs<ToClientEvents<TEvents>[K]>
  ): void;
  /** Sends a native message (the bytes unchanged) to every recipient. */
  emitMessage(data: string | Uint8Array): void;
  /**
   * Sends a request to every recipient, on every node, and collects their replies until each
   * answered or the timeout passed. Never rejects: errors and silences are reported per connection,
   * and `partial` tells that a node did not report at all (its members are then in no list).
   * Value and replies are typed by the map's `requestsToClient`.
   */
  request<K extends EventName<RequestsToClient<TEvents>>>(
    event: K,
    ...args: RequestArgs<RequestsToClient<TEvents>, K, BroadcastRequestOptions>
  ): Promise<BroadcastRequestResult<RequestReply<RequestsToClient<TEvents>, K>>>;
}

/** What a broadcast request collected. */
export interface BroadcastRequestResult<TReply = unknown> {
  /** Replies by connection id. */
  readonly replies: ReadonlyMap<string, TReply>;
  /** Failed replies (handler errors, no handler) by connection id. */
  readonly errors: ReadonlyMap<string, { readonly code: string; readonly message: string }>;
  /** Connections that did not answer within the timeout (or closed first). */
  readonly missing: readonly string[];
  /** True when a node of a multi-node store did not report its members' answers in time. */
  readonly partial: boolean;
}
