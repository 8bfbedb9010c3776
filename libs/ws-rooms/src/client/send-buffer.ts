import { WsRoomsClientError, WsRoomsClientErrorCode } from './client-errors';

/**
 * What a full {@link SendBuffer} does with one more message: `'drop-oldest'` discards the oldest
 * buffered message (fresh state usually matters more than stale), `'reject'` refuses the new one
 * with a `WS_ROOMS_CLIENT_BUFFER_FULL` error thrown to the caller.
 */
export type SendBufferPolicy = 'drop-oldest' | 'reject';

/**
 * The messages sent while the connection is not open, kept in order until it opens. Bounded: an app
 * that keeps emitting during a long outage must not grow memory without limit.
 */
export class SendBuffer<T> {
  private items: T[] = [];
  // Index of the oldest item; the array is compacted lazily so that shifting stays O(1) on average.
  private head = 0;

  constructor(
    /** The most messages held; 0 disables buffering. */
    readonly capacity: number,
    readonly policy: SendBufferPolicy,
  ) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new WsRoomsClientError(
        WsRoomsClientErrorCode.InvalidOption,
        `Invalid send buffer size ${String(capacity)}: it must be a non-negative integer`,
      );
    }
    if (policy !== 'drop-oldest' && policy !== 'reject') {
      throw new WsRoomsClientError(
        WsRoomsClientErrorCode.InvalidOption,
        `Invalid send buffer policy ${JSON.stringify(policy)}: use 'drop-oldest' or 'reject'`,
      );
    }
  }

  /** The number of buffered messages. */
  get size(): number {
    return this.items.length - this.head;
  }

  /**
   * Appends a message. Returns the message discarded to make room (under `'drop-oldest'`; with a
   * capacity of 0 that is the new message itself), or `undefined` when nothing was discarded.
   * @throws WsRoomsClientError `WS_ROOMS_CLIENT_BUFFER_FULL` when full under `'reject'`.
   */
  push(item: T): T | undefined {
    if (this.size < this.capacity) {
      this.items.push(item);
      return undefined;
    }
    if (this.policy === 'reject') {
      throw new WsRoomsClientError(
        WsRoomsClientErrorCode.BufferFull,
        `The send buffer is full (${this.capacity} messages) and the connection is not open`,
      );
    }
    if (this.capacity === 0) return item;
    const dropped = this.shift() as T;
    this.items.push(item);
    return dropped;
  }

  /** Removes and returns the oldest message. */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.head];
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 64 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /**
   * Removes one message (by identity) wherever it sits, e.g. a request that timed out before it
   * could be sent. Returns whether it was there. O(n): it is for the rare cancellation, not the
   * send path.
   */
  remove(item: T): boolean {
    const at = this.items.indexOf(item, this.head);
    if (at === -1) return false;
    this.items.splice(at, 1);
    if (this.head === this.items.length) this.clear();
    return true;
  }

  /** Removes every message. */
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
