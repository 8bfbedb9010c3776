import { WsRoomsClientError, WsRoomsClientErrorCode } from './client-errors';
import type { Attempt } from './connection-attempt';
import type { ErrorReporter } from './error-reporter';
import { PendingRequest, type RequestTracker } from './request-tracker';
import { SendBuffer, type SendBufferPolicy } from './send-buffer';
import { ReadyState, type SocketData } from './websocket-like';

/** What the send buffer holds: plain messages, and requests that wait to be sent. */
type Outbound = SocketData | PendingRequest;

/**
 * The way out: a message goes on the socket at once when the connection is ready, else into the
 * bounded send buffer, which is flushed in order once a connection is ready again. Requests take the
 * same path, so that they keep their place among the `emit`s around them.
 */
export class Outbox {
  private readonly buffer: SendBuffer<Outbound>;

  constructor(
    size: number,
    policy: SendBufferPolicy,
    private readonly requests: RequestTracker,
    private readonly errors: ErrorReporter,
    /** The client's current attempt, ready or not. */
    private readonly current: () => Attempt | null,
  ) {
    this.buffer = new SendBuffer(size, policy);
  }

  /** How many messages (requests included) wait for a ready connection. */
  get size(): number {
    return this.buffer.size;
  }

  /** The current attempt when it is ready and its socket open (a message can go out now). */
  ready(): Attempt | null {
    const attempt = this.current();
    return attempt !== null && attempt.announced && attempt.socket.readyState === ReadyState.Open
      ? attempt
      : null;
  }

  /**
   * Sends a message now, or keeps it for later.
   * @throws WsRoomsClientError `WS_ROOMS_CLIENT_BUFFER_FULL` under the `'reject'` policy.
   */
  send(data: SocketData): void {
    const attempt = this.ready();
    if (attempt !== null) attempt.socket.send(data);
    else this.keep(data);
  }

  /** Sends a started request now, or keeps it for later; a request the buffer refuses fails. */
  sendRequest(request: PendingRequest): void {
    const attempt = this.ready();
    if (attempt !== null) {
      this.requests.sent(request, attempt);
      attempt.socket.send(request.data);
      return;
    }
    try {
      this.keep(request);
    } catch (error) {
      this.requests.fail(request, error as Error);
    }
  }

  /** Takes a request out of the buffer (it timed out or was aborted while waiting). */
  remove(request: PendingRequest): void {
    this.buffer.remove(request);
  }

  /** Sends the buffered messages in order, for as long as this attempt stays current and open. */
  flush(attempt: Attempt): void {
    while (
      this.buffer.size > 0 &&
      this.current() === attempt &&
      attempt.socket.readyState === ReadyState.Open
    ) {
      const item = this.buffer.shift() as Outbound;
      if (!(item instanceof PendingRequest)) {
        attempt.socket.send(item);
      } else if (this.requests.isPending(item)) {
        this.requests.sent(item, attempt);
        attempt.socket.send(item.data);
      }
    }
  }

  /**
   * Keeps a message for the next ready connection; the message pushed out of a full buffer is
   * reported (and fails, if it was a request).
   * @throws WsRoomsClientError `WS_ROOMS_CLIENT_BUFFER_FULL` under the `'reject'` policy.
   */
  private keep(item: Outbound): void {
    const dropped = this.buffer.push(item);
    if (dropped === undefined) return;
    const error = new WsRoomsClientError(
      WsRoomsClientErrorCode.MessageDropped,
      `The send buffer is full (${this.buffer.capacity} messages): the oldest message was dropped`,
    );
    if (dropped instanceof PendingRequest) this.requests.fail(dropped, error);
    this.errors.report(error);
  }
}
