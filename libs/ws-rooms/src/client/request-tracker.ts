import type { ClientDecodedValue } from './client-codec';
import { WsRoomsClientError, WsRoomsClientErrorCode, WsRoomsServerError } from './client-errors';
import type { ClientTimers } from './client-options';
import type { ReplyEnvelope } from './request-envelope';
import type { SocketData } from './websocket-like';

/**
 * One request of this client waiting for its reply (Phoenix's `push`): its encoded message, which
 * may still sit in the send buffer, and the socket attempt that carried it once written.
 */
export class PendingRequest {
  /** The connection attempt whose socket carried the request; `undefined` while it is buffered. */
  carrier: object | undefined = undefined;
  /** @internal */
  timer: unknown = undefined;
  /** @internal */
  resolve: (value: ClientDecodedValue) => void = noop;
  /** @internal */
  reject: (error: Error) => void = noop;

  constructor(
    readonly id: number,
    readonly event: string,
    /** The `ws-rooms:req` message, ready for `send`. */
    readonly data: SocketData,
  ) {}
}

/**
 * The requests of a client in flight, by id. Each has a timeout running from the call; a reply
 * settles it once, and whatever happens first (reply, timeout, abort) wins. Ids are never reused
 * within a client, so a late reply to a request that timed out is recognised and ignored.
 */
export class RequestTracker {
  private lastId = 0;
  private readonly pending = new Map<number, PendingRequest>();

  constructor(
    private readonly timers: ClientTimers,
    /** Told of a request that timed out, so the owner can take it out of its send buffer. */
    private readonly onExpire: (request: PendingRequest) => void = noop,
  ) {}

  /** The number of requests waiting for their replies. */
  get size(): number {
    return this.pending.size;
  }

  /** The id of the next request: positive, increasing, never reused. */
  nextId(): number {
    return ++this.lastId;
  }

  /** Starts waiting for the reply to `request`; the timeout (in ms) runs from now. */
  start(request: PendingRequest, timeout: number): Promise<ClientDecodedValue> {
    const promise = new Promise<ClientDecodedValue>((resolve, reject) => {
      request.resolve = resolve;
      request.reject = reject;
    });
    const handle = this.timers.setTimeout(() => {
      if (this.pending.get(request.id) !== request) return;
      this.fail(
        request,
        new WsRoomsClientError(
          WsRoomsClientErrorCode.RequestTimeout,
          `request "${request.event}" got no reply within ${timeout} ms`,
          { event: request.event },
        ),
      );
      this.onExpire(request);
    }, timeout);
    // A request alone must not keep a Node process alive (the socket does, while it is open).
    (handle as { unref?: () => void } | null)?.unref?.();
    request.timer = handle;
    this.pending.set(request.id, request);
    return promise;
  }

  /** Records that `carrier`'s socket carried the request. */
  sent(request: PendingRequest, carrier: object): void {
    request.carrier = carrier;
  }

  /** True while the request waits for its reply. */
  isPending(request: PendingRequest): boolean {
    return this.pending.get(request.id) === request;
  }

  /**
   * Settles the request a reply answers: with its value, or with a `WsRoomsServerError` for an error
   * reply. Returns false when no request waits for that id (a late reply, or a confused server).
   */
  settle(reply: ReplyEnvelope): boolean {
    const request = this.pending.get(reply.id);
    if (request === undefined || request.carrier === undefined) return false;
    this.finish(request);
    if (reply.ok) request.resolve(reply.value);
    else request.reject(new WsRoomsServerError({ ...reply.error, event: request.event }));
    return true;
  }

  /** Rejects one request with `error` (a no-op once it settled). */
  fail(request: PendingRequest, error: Error): void {
    if (!this.isPending(request)) return;
    this.finish(request);
    request.reject(error);
  }

  /** Rejects every request that `carrier`'s socket carried: their replies can no longer arrive. */
  abortCarried(carrier: object, error: Error): void {
    for (const request of [...this.pending.values()]) {
      if (request.carrier === carrier) this.fail(request, error);
    }
  }

  /** Rejects every request; returns those that were still buffered, for the owner to drop. */
  abortAll(error: Error): PendingRequest[] {
    const buffered: PendingRequest[] = [];
    for (const request of [...this.pending.values()]) {
      if (request.carrier === undefined) buffered.push(request);
      this.fail(request, error);
    }
    return buffered;
  }

  private finish(request: PendingRequest): void {
    this.pending.delete(request.id);
    this.timers.clearTimeout(request.timer);
  }
}

function noop(): void {
  // Replaced when the request starts.
}
