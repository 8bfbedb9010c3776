import type { EmitValue } from '../protocol/message-codec';
import type { Target } from './targets';

/**
 * A broadcast in the making: `to(room).to(other).except(room3).emit(event, value)`. Each call returns a
 * new operator, so a partially built one can be kept and reused. The message is encoded and framed
 * once, whatever the number of recipients; recipients in several target rooms get it once.
 */
export interface BroadcastOperator {
  /** Adds a target room or connection id (or `All`). */
  to(target: Target): BroadcastOperator;
  /** Same as {@link BroadcastOperator.to}. */
  in(target: Target): BroadcastOperator;
  /** Skips the members of this room (or this connection id). */
  except(roomOrId: string): BroadcastOperator;
  /**
   * Marks the send volatile: recipients whose send queue is already backed up are skipped instead of
   * being cut as slow consumers. For data that is stale by the next send (positions, typing).
   */
  readonly volatile: BroadcastOperator;
  /**
   * Sends in binary frames whatever the `binaryMessages` option says (ws-rooms' clients read both;
   * the original Iris browser client reads only text).
   */
  readonly binary: BroadcastOperator;
  /** Sends an event message to every recipient. */
  emit(event: string, value?: EmitValue): void;
  /** Sends a native message (the bytes unchanged) to every recipient. */
  emitMessage(data: string | Uint8Array): void;
  /**
   * Sends a request to every recipient, on every node, and collects their replies until each
   * answered or the timeout passed. Never rejects: errors and silences are reported per connection,
   * and `partial` tells that a node did not report at all (its members are then in no list).
   */
  request<TReply = unknown>(
    event: string,
    value?: EmitValue,
    options?: { readonly timeout?: number },
  ): Promise<BroadcastRequestResult<TReply>>;
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
