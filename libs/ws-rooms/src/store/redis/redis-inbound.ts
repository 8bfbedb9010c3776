import { describeError } from '../../util/describe-error';
import type { LocalNode, OutboundBroadcast, RemoteCommand } from '../room-store.interface';
import type { RedisStoreContext } from './redis-store-context';
import {
  decodeWire,
  WireErrorCode,
  WireKind,
  type WireQuery,
  type WireReplyBody,
} from './redis-wire';

/** Where each kind of message from another node goes. */
export interface InboundHandlers {
  /** A command for a connection of this node. */
  command(origin: string, id: number, command: RemoteCommand, node: LocalNode): void;
  /** A cluster-wide query to answer. */
  query(origin: string, id: number, query: WireQuery, node: LocalNode): void;
  /** An answer to one of this node's requests. */
  reply(origin: string, reply: WireReplyBody): void;
  /** A broadcast numbered in the recovery log (recovery on). */
  logged(offset: number, broadcast: OutboundBroadcast): void;
}

/**
 * Everything that arrives on the subscriber connection: decoded within the wire limits, counted,
 * and handed on. A message beyond a limit (`stats.messagesOverLimits`) or that does not decode
 * (`stats.malformedMessages`) is dropped and logged at most once per period; this node's own echo
 * is dropped by the node id in its header (the origin delivered locally before publishing), except
 * a logged broadcast, which every node delivers from Redis in one order. Nothing thrown here
 * reaches ioredis or the process.
 */
export class InboundMessages {
  constructor(
    private readonly context: RedisStoreContext,
    private readonly handlers: InboundHandlers,
  ) {}

  /** The subscriber connection's `messageBuffer` listener. */
  readonly onMessage = (_channel: Buffer, data: Buffer): void => {
    const { context } = this;
    context.stats.received++;
    try {
      const decoded = decodeWire(data, context.limits);
      if (!decoded.ok) {
        const overLimit = decoded.error.code === WireErrorCode.OverLimit;
        if (overLimit) context.stats.messagesOverLimits++;
        else context.stats.malformedMessages++;
        context.failure(
          overLimit ? 'over-limits' : 'malformed',
          overLimit
            ? `dropped a message beyond the limits: ${decoded.error.message}`
            : `ignored a malformed message: ${decoded.error.code} ${decoded.error.message}`,
        );
        return;
      }
      const message = decoded.message;
      if (message.nodeId === context.nodeId && message.kind !== WireKind.Logged) {
        context.stats.echoesIgnored++;
        return;
      }
      const node = context.node();
      if (!context.running() || node === null) return;
      switch (message.kind) {
        case WireKind.Broadcast:
          node.deliverLocally(message.broadcast);
          context.stats.delivered++;
          return;
        case WireKind.Command:
          return this.handlers.command(message.nodeId, message.id, message.command, node);
        case WireKind.Request:
          return this.handlers.query(message.nodeId, message.id, message.query, node);
        case WireKind.Reply:
          return this.handlers.reply(message.nodeId, message.reply);
        case WireKind.Logged:
          this.handlers.logged(message.offset, message.broadcast);
          context.stats.delivered++;
          return;
      }
    } catch (error) {
      context.failure('handler', `handling a message from Redis failed: ${describeError(error)}`);
    }
  };
}
