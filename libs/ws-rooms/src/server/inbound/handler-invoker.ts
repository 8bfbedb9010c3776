import type { Logger } from '@nestjs/common';
import type { Connection } from '../../connection/connection';
import { httpStatusOf, isUnexpectedError, toWsRoomsError } from '../../errors/to-ws-rooms-error';
import type { WsRoomsError } from '../../errors/ws-rooms.error';
import type { EmitValue } from '../../protocol/message-codec';
import { ReservedEvent } from '../../protocol/protocol.constants';
import { errorReplyPayload, replyPayload, type ReplyError } from '../../protocol/reserved-messages';
import { describeError } from '../../util/describe-error';
import { isPromiseLike } from '../../util/maybe-promise';
import { countError, type WsRoomsStats } from '../server-stats';
import type { LogBudget } from '../../util/log-budget';

/** How a handler's result travels back: as an event, as a request's reply, or not at all. */
export type ReplyMode = boolean | { readonly requestId: number };

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Runs handlers and turns what they return or throw into what the sender receives: a value (or
 * resolved value) goes back as an event or as the reply of a request, an error becomes a
 * `ws-rooms:error` event or a failed reply. Nothing a handler does can throw out of here. An
 * unexpected error (not an `HttpException`, `WsException` or `WsRoomsError`) is also logged, with
 * the connection and the event, within a log budget.
 */
export class HandlerInvoker {
  private running = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly stats: WsRoomsStats,
    private readonly logger: Logger,
    private readonly logBudget: LogBudget,
  ) {}

  /** Runs one handler for a connection. */
  invoke(
    connection: Connection,
    event: string | undefined,
    call: () => unknown,
    replies: ReplyMode = true,
  ): void {
    const requestId = typeof replies === 'object' ? replies.requestId : undefined;
    let result: unknown;
    try {
      result = call();
    } catch (error) {
      this.failed(connection, event, error, requestId);
      return;
    }
    if (isPromiseLike(result)) {
      // Counted rather than tracked as a promise: one `then` per message, no extra allocations.
      // The connection's own count is what `maxPendingHandlers` is checked against.
      this.running++;
      connection.budget.pendingHandlers++;
      result.then(
        (value) => {
          this.settled(connection);
          if (replies !== false) this.reply(connection, event, value, requestId);
        },
        (error: unknown) => {
          this.settled(connection);
          this.failed(connection, event, error, requestId);
        },
      );
    } else if (replies !== false) {
      this.reply(connection, event, result, requestId);
    }
  }

  /** Resolves when no asynchronous handler is running. */
  idle(): Promise<void> {
    if (this.running === 0) return RESOLVED;
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Sends the documented `ws-rooms:error` event to one connection. */
  reportError(connection: Connection, error: WsRoomsError, event?: string, status?: number): void {
    countError(this.stats, error.code);
    if (connection.closed) return;
    const payload: Record<string, unknown> = { code: error.code, message: error.message };
    if (event !== undefined) payload.event = event;
    if (status !== undefined) payload.status = status;
    const details = (error as WsRoomsError & { details?: unknown }).details;
    if (details !== undefined) payload.details = details;
    connection.emit(ReservedEvent.Error, payload);
  }

  /** Answers a request with an error. */
  sendReplyError(connection: Connection, id: number, error: ReplyError): void {
    countError(this.stats, error.code);
    if (!connection.closed) connection.emit(ReservedEvent.Reply, errorReplyPayload(id, error));
  }

  private settled(connection: Connection): void {
    connection.budget.pendingHandlers--;
    if (--this.running === 0 && this.idleWaiters.length > 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private reply(
    connection: Connection,
    event: string | undefined,
    value: unknown,
    requestId?: number,
  ): void {
    if (connection.closed) return;
    if (requestId !== undefined) {
      // A request always gets an answer, `undefined` included (as null).
      try {
        connection.emit(ReservedEvent.Reply, replyPayload(requestId, value) as EmitValue);
      } catch (error) {
        this.failed(connection, event, error, requestId);
      }
      return;
    }
    if (value === undefined || value === null) return;
    try {
      if (isWsResponse(value)) connection.emit(value.event, value.data as EmitValue);
      else if (event !== undefined) connection.emit(event, value as EmitValue);
      else
        connection.emitMessage(
          typeof value === 'string' || value instanceof Uint8Array ? value : JSON.stringify(value),
        );
    } catch (error) {
      this.failed(connection, event, error);
    }
  }

  private failed(
    connection: Connection,
    event: string | undefined,
    error: unknown,
    requestId?: number,
  ): void {
    this.stats.handlerErrors++;
    if (isUnexpectedError(error) && this.logBudget.allow()) {
      const what = event === undefined ? 'native message handler' : `handler of "${event}"`;
      this.logger.error(`${what} failed for ${connection.id}: ${describeError(error)}`);
    }
    const typed = toWsRoomsError(error);
    const status = httpStatusOf(error);
    if (requestId !== undefined) {
      const details = (typed as WsRoomsError & { details?: unknown }).details;
      return this.sendReplyError(connection, requestId, {
        code: typed.code,
        message: typed.message,
        status,
        details,
      });
    }
    this.reportError(connection, typed, event, status);
  }
}

/** Nest's `WsResponse` shape: `{ event, data }` and nothing else. */
function isWsResponse(value: unknown): value is { event: string; data: unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { event?: unknown }).event === 'string' &&
    'data' in value &&
    Object.keys(value).length === 2
  );
}
