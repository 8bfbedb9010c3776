import type { Logger } from '@nestjs/common';
import type { Connection } from '../../connection/connection';
import { CloseCode } from '../../errors/close-codes';
import { WsRoomsErrorCode } from '../../errors/error-codes';
import { WsRoomsError } from '../../errors/ws-rooms.error';
import type { DecodedValue, MalformedMessage, MessageCodec } from '../../protocol/message-codec';
import { ReservedEvent, RESERVED_EVENT_PREFIX } from '../../protocol/protocol.constants';
import { type EventNameLimits, parseReply, parseRequest } from '../../protocol/reserved-messages';
import { renderUntrustedName } from '../../protocol/untrusted-name';
import type { LogBudget } from '../../util/log-budget';
import type { RequestManager } from '../requests/request-manager';
import type { WsRoomsStats } from '../server-stats';
import type { FloodGuard } from './flood-guard';
import type { HandlerInvoker } from './handler-invoker';
import type { HandlerRegistry } from './handler-registry';
import { InboundHold } from './inbound-hold';

/** What the dispatcher needs besides its collaborators. */
export interface DispatchPorts {
  /** Ends a connection from the server side. */
  close(connection: Connection, code: number, reason: string): void;
  /** The `onError` option: told about every malformed message. */
  readonly onError?: (error: WsRoomsError, connectionId: string) => void;
  /** The event-name rules of the codec, applied to a request envelope's inner event name too. */
  readonly eventNameLimits: EventNameLimits;
  /** `maxPendingHandlers`: a message that finds this many of its connection's handlers running is refused. */
  readonly maxPendingHandlers: number;
}

/**
 * Inbound messages of every connection (`docs/protocol.md`, messages): the rate limit first, then
 * the decode, then the handlers of the event, the connection's own listeners, or the reserved
 * protocol extensions (requests and replies). While a connection's hooks run, its messages are
 * held ({@link InboundHold}) except replies to server requests; a message that finds
 * `maxPendingHandlers` asynchronous handlers of its connection still running is refused.
 */
export class InboundDispatcher {
  private readonly holds = new InboundHold();

  constructor(
    private readonly codec: MessageCodec,
    private readonly handlers: HandlerRegistry,
    private readonly invoker: HandlerInvoker,
    private readonly requests: RequestManager,
    private readonly flood: FloodGuard,
    private readonly stats: WsRoomsStats,
    private readonly logger: Logger,
    private readonly logBudget: LogBudget,
    private readonly ports: DispatchPorts,
  ) {}

  /** One data message of a connection. */
  received(connection: Connection, data: Buffer, isBinary: boolean): void {
    connection.awaitingPong = false;
    this.stats.messagesIn++;
    this.stats.bytesIn += data.length;
    if (this.flood.enabled && !this.admit(connection)) return;
    if (this.holds.active && this.holds.isHeld(connection) && !this.isReply(data)) {
      this.holds.keep(connection, data, isBinary);
      return;
    }
    this.dispatch(connection, data, isBinary);
  }

  /**
   * Holds the messages of a connection until {@link release}: its connection hooks run. Replies to
   * server requests still go through, so a hook may await `connection.request()`.
   */
  hold(connection: Connection): void {
    this.holds.hold(connection);
  }

  /** Handles, in order, what a held connection sent meanwhile, and reads on. */
  release(connection: Connection): void {
    for (const { data, isBinary } of this.holds.release(connection)) {
      if (connection.closed) return;
      this.dispatch(connection, data, isBinary);
    }
  }

  /** True for a `ws-rooms:res` message (read to its event name only). */
  private isReply(data: Buffer): boolean {
    const header = this.codec.readHeader(data);
    return header.kind === 'header' && header.event === ReservedEvent.Reply;
  }

  /** A message the rate limit admitted: to its handlers, listeners or protocol extension. */
  private dispatch(connection: Connection, data: Buffer, isBinary: boolean): void {
    const header = this.codec.readHeader(data);
    if (header.kind === 'native') {
      if (this.handlers.native.length === 0 && connection.nativeMessageListeners.length === 0)
        return;
      if (this.tooManyPending(connection, undefined)) return;
      for (const handler of this.handlers.native)
        this.invoker.invoke(connection, undefined, () => handler(connection, data, isBinary));
      for (const listener of connection.nativeMessageListeners) {
        this.invoker.invoke(connection, undefined, () => listener(data, isBinary), false);
      }
      return;
    }
    if (header.kind === 'malformed') return this.malformed(connection, header);
    const { event } = header;
    if (event.startsWith(RESERVED_EVENT_PREFIX)) {
      const decoded = this.codec.decodeValue(header);
      if (decoded.kind === 'malformed') return this.malformed(connection, decoded);
      this.reserved(connection, event, decoded.value);
      return;
    }
    // The handlers are looked up before the value is decoded: a message nobody listens to costs
    // a scan for its first ';', whatever its payload.
    const handlers = this.handlers.eventHandlers(event);
    const listeners = connection.listenersOf(event);
    if (handlers === undefined && listeners.length === 0) {
      this.stats.unhandledEvents++;
      return;
    }
    const decoded = this.codec.decodeValue(header);
    if (decoded.kind === 'malformed') return this.malformed(connection, decoded);
    if (this.tooManyPending(connection, event)) return;
    const { value } = decoded;
    if (handlers !== undefined) {
      for (const handler of handlers)
        this.invoker.invoke(connection, event, () => handler(connection, value, event));
    }
    for (const listener of listeners)
      this.invoker.invoke(connection, event, () => listener(value), false);
  }

  private malformed(connection: Connection, message: MalformedMessage): void {
    this.stats.malformedMessages++;
    this.invoker.reportError(connection, message.error, message.event);
    this.ports.onError?.(message.error, connection.id);
  }

  /**
   * A ping: counted against the message rate like any message (a ping costs the server a pong),
   * and answered only when within it. `ws` does not answer pings itself on this endpoint.
   */
  pinged(connection: Connection, data: Buffer): void {
    if (this.flood.enabled && !this.admit(connection)) return;
    connection.ws.pong(data);
  }

  /**
   * A pong: it costs a parse and nothing else, but a client may send them unasked (RFC 6455 allows
   * it), so they count against the message rate too.
   */
  ponged(connection: Connection): void {
    if (this.flood.enabled) this.admit(connection);
  }

  /** Applies the flood policy to one inbound message or ping; true when it may be handled. */
  private admit(connection: Connection): boolean {
    const verdict = this.flood.take(connection.budget);
    if (verdict === 'accept') return true;
    this.stats.messagesRefused++;
    if (verdict === 'tell') {
      this.invoker.reportError(
        connection,
        new WsRoomsError(
          WsRoomsErrorCode.RateLimited,
          'message rate exceeded (maxMessageRate): messages are dropped until the rate falls',
        ),
      );
    } else if (verdict === 'cut') {
      this.stats.rateLimitCuts++;
      if (this.logBudget.allow())
        this.logger.warn(`closing ${connection.id}: message rate exceeded, still flooding`);
      this.ports.close(connection, CloseCode.TryAgainLater, 'message rate exceeded');
    }
    return false;
  }

  /** The protocol extensions: requests and replies (other reserved names are ignored). */
  private reserved(connection: Connection, event: string, value: DecodedValue): void {
    if (event === ReservedEvent.Request) {
      const request = parseRequest(value, this.ports.eventNameLimits);
      if (request === null) return this.invalidReserved(connection, event);
      const handlers = this.handlers.eventHandlers(request.event);
      if (handlers === undefined) {
        return this.invoker.sendReplyError(connection, request.id, {
          code: WsRoomsErrorCode.NoHandler,
          message: `no handler for event ${renderUntrustedName(request.event)}`,
          status: 404,
        });
      }
      if (this.tooManyPending(connection, request.event, request.id)) return;
      // The first handler's result is the reply; further handlers of the event still run.
      handlers.forEach((handler, index) =>
        this.invoker.invoke(
          connection,
          request.event,
          () => handler(connection, request.value, request.event),
          index === 0 ? { requestId: request.id } : false,
        ),
      );
      return;
    }
    if (event === ReservedEvent.Reply) {
      const reply = parseReply(value);
      if (reply === null) return this.invalidReserved(connection, event);
      this.requests.replied(connection, reply);
      return;
    }
    this.stats.unhandledEvents++;
  }

  /**
   * Refuses a message whose connection already has `maxPendingHandlers` asynchronous handlers
   * running: the sender is told (an error event, or an error reply to a request) and may send it
   * again. The socket keeps being read, so replies and pongs still arrive: a handler that awaits
   * `connection.request()` to the same client is not starved.
   */
  private tooManyPending(
    connection: Connection,
    event: string | undefined,
    requestId?: number,
  ): boolean {
    const limit = this.ports.maxPendingHandlers;
    if (connection.budget.pendingHandlers < limit) return false;
    const code = WsRoomsErrorCode.TooManyPending;
    const message = `${limit} handlers of this connection are still running (maxPendingHandlers): the message was not handled`;
    if (requestId !== undefined) {
      this.invoker.sendReplyError(connection, requestId, { code, message, status: 429 });
    } else {
      this.invoker.reportError(connection, new WsRoomsError(code, message), event);
    }
    return true;
  }

  private invalidReserved(connection: Connection, event: string): void {
    this.stats.malformedMessages++;
    this.invoker.reportError(
      connection,
      new WsRoomsError(
        WsRoomsErrorCode.InvalidReservedMessage,
        `"${event}" payload is not a valid envelope`,
      ),
      event,
    );
  }
}
