import { WsRoomsErrorCode } from '../errors/error-codes';
import { renderUntrustedName } from '../protocol/untrusted-name';
import type { ClientDecodedValue } from './client-codec';
import { WsRoomsClientErrorCode } from './client-errors';
import type { Unsubscribe } from './listener-registry';
import {
  errorReplyPayload,
  replyPayload,
  type ReplyErrorBody,
  type RequestEnvelope,
} from './request-envelope';

/** A handler of server-to-client requests: its return value (or resolved value) is the reply. */
export type RawRequestHandler = (value: ClientDecodedValue) => unknown;

/**
 * The handlers of the requests the server sends to this client (`connection.request()` on the
 * server), one per event: a reply has exactly one author. Answering never throws and never rejects:
 * a handler's exception or rejection becomes an error reply, a missing handler a
 * `WS_ROOMS_NO_HANDLER` reply (status 404, as the server answers unknown requests).
 */
export class RequestHandlerRegistry {
  private readonly handlers = new Map<string, RawRequestHandler>();

  /**
   * Sets the handler of `event`, replacing any earlier one.
   * @returns a function that removes this handler (and not a later replacement).
   */
  set(event: string, handler: RawRequestHandler): Unsubscribe {
    this.handlers.set(event, handler);
    return () => {
      if (this.handlers.get(event) === handler) this.handlers.delete(event);
    };
  }

  /** True when `event` has a handler. */
  has(event: string): boolean {
    return this.handlers.has(event);
  }

  /**
   * Runs the handler of a request (synchronously, so it sees the state of the moment the request
   * arrived) and resolves with the reply payload.
   */
  answer(request: RequestEnvelope): Promise<Record<string, unknown>> {
    const handler = this.handlers.get(request.event);
    if (handler === undefined) {
      return Promise.resolve(
        errorReplyPayload(request.id, {
          code: WsRoomsErrorCode.NoHandler,
          // The name came from the server: shown escaped and cut, never repeated back at any length.
          message: `no handler for request ${renderUntrustedName(request.event)}`,
          status: 404,
        }),
      );
    }
    const fail = (error: unknown) => errorReplyPayload(request.id, toReplyError(error));
    try {
      return Promise.resolve(handler(request.value)).then(
        (value) => replyPayload(request.id, value),
        fail,
      );
    } catch (error) {
      return Promise.resolve(fail(error));
    }
  }
}

/**
 * What the server learns about a handler that failed: the error's own `code` when it is a string
 * (so an app can answer `WS_ROOMS_FORBIDDEN` or its own codes), else `WS_ROOMS_CLIENT_HANDLER_ERROR`;
 * its message; its numeric `status` and its `details`, when present.
 */
export function toReplyError(error: unknown): ReplyErrorBody {
  const record = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    message?: unknown;
    status?: unknown;
    details?: unknown;
  };
  return {
    code: typeof record.code === 'string' ? record.code : WsRoomsClientErrorCode.HandlerError,
    message: typeof record.message === 'string' ? record.message : String(error),
    status: typeof record.status === 'number' ? record.status : undefined,
    details: record.details,
  };
}
