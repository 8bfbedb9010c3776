import { ReservedEvent } from '../protocol/protocol.constants';
import type { ClientCodec, ClientDecodedValue } from './client-codec';
import { WsRoomsClientError, WsRoomsClientErrorCode } from './client-errors';
import { isRequestTimeout, MAX_TIMER_DELAY } from './client-options';
import type { RequestOptions } from './client-types';
import type { ErrorReporter } from './error-reporter';
import type { Unsubscribe } from './listener-registry';
import type { Outbox } from './outbox';
import { parseReplyEnvelope, requestPayload } from './request-envelope';
import { RequestHandlerRegistry, type RawRequestHandler } from './request-handlers';
import { PendingRequest, type RequestTracker } from './request-tracker';
import { assertUserEventName } from './reserved-event-router';
import { ServerRequestResponder } from './server-request-responder';
import type { SocketData } from './websocket-like';

/**
 * Requests in both directions: this client's requests (`request()`, built, timed from the call,
 * sent through the outbox, settled by `ws-rooms:res` or aborted with their connection), and the
 * server's (`ws-rooms:req`), answered by the `onRequest` handlers.
 */
export class ClientRequests {
  private readonly handlers = new RequestHandlerRegistry();
  private readonly responder: ServerRequestResponder;

  constructor(
    private readonly codec: ClientCodec,
    private readonly tracker: RequestTracker,
    private readonly outbox: Outbox,
    private readonly errors: ErrorReporter,
    private readonly defaultTimeout: number,
  ) {
    this.responder = new ServerRequestResponder(this.handlers, codec);
  }

  /**
   * Starts a request; never throws (see `WsRoomsClient.request` for every rejection).
   * @param closed the client is `'closed'`: nothing could ever carry the request.
   */
  request(
    event: string,
    value: unknown,
    options: RequestOptions,
    closed: boolean,
  ): Promise<unknown> {
    let request: PendingRequest;
    let timeout: number;
    try {
      request = this.create(event, value);
      timeout = options.timeout ?? this.defaultTimeout;
      if (!isRequestTimeout(timeout)) {
        throw new WsRoomsClientError(
          WsRoomsClientErrorCode.InvalidArgument,
          `Invalid request timeout ${String(timeout)}: use a number > 0 and <= ${MAX_TIMER_DELAY}`,
          { event },
        );
      }
    } catch (error) {
      return Promise.reject(error);
    }
    if (closed) {
      return Promise.reject(
        new WsRoomsClientError(
          WsRoomsClientErrorCode.NotConnected,
          `request "${event}": the client is closed (call connect() first)`,
          { event },
        ),
      );
    }
    const reply = this.tracker.start(request, timeout);
    this.outbox.sendRequest(request);
    return reply;
  }

  /** Sets the handler of the server's requests for `event`, replacing any earlier one. */
  onRequest(event: string, handler: RawRequestHandler): Unsubscribe {
    assertUserEventName(event);
    return this.handlers.set(event, handler);
  }

  /** A `ws-rooms:res` payload: settles the request it answers. */
  receiveReply(value: ClientDecodedValue): void {
    const reply = parseReplyEnvelope(value);
    if (reply === undefined) {
      this.errors.invalidReserved(
        ReservedEvent.Reply,
        'a reply envelope { id, value | bytes | error }',
      );
      return;
    }
    // A reply nobody waits for came too late (after the timeout): ignored on purpose.
    this.tracker.settle(reply);
  }

  /** A `ws-rooms:req` payload: answered through `reply` (which knows where the answer may go). */
  receiveRequest(value: ClientDecodedValue, reply: (data: SocketData) => void): void {
    if (!this.responder.respond(value, reply)) {
      this.errors.invalidReserved(
        ReservedEvent.Request,
        'a request envelope { id, event, value | bytes }',
      );
    }
  }

  /** The connection `carrier` closed: its requests in flight can no longer be answered. */
  abortCarried(carrier: object): void {
    this.tracker.abortCarried(
      carrier,
      new WsRoomsClientError(
        WsRoomsClientErrorCode.RequestAborted,
        'The connection closed before the reply',
      ),
    );
  }

  /** The client stopped (closed or gave up): no buffered or in-flight request can complete. */
  abortAll(): void {
    if (this.tracker.size === 0) return;
    const error = new WsRoomsClientError(
      WsRoomsClientErrorCode.RequestAborted,
      'The client closed before the reply (it is not reconnecting)',
    );
    for (const buffered of this.tracker.abortAll(error)) this.outbox.remove(buffered);
  }

  /**
   * Builds a request without sending it.
   * @throws WsRoomsClientError for an invalid name or a value JSON cannot encode.
   */
  private create(event: string, value: unknown): PendingRequest {
    assertUserEventName(event);
    const id = this.tracker.nextId();
    let data: SocketData;
    try {
      data = this.codec.encode(ReservedEvent.Request, requestPayload(id, event, value));
    } catch (error) {
      throw new WsRoomsClientError(
        WsRoomsClientErrorCode.InvalidPayload,
        `request "${event}": value cannot be encoded as JSON (${(error as Error)?.message})`,
        { cause: error, event },
      );
    }
    return new PendingRequest(id, event, data);
  }
}
