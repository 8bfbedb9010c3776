import { WsRoomsTestError, WsRoomsTestErrorCode } from './testing-errors';

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * One channel of values a test waits for, without races: a value that arrives before anyone waits
 * is kept until `next()` takes it, and `next()` called before the value waits for it, bounded by a
 * timeout. Every value is also kept in `received` (both lists bounded: the oldest go first).
 */
export class Mailbox<T> {
  private readonly unread: T[] = [];
  private readonly all: T[] = [];
  private readonly waiters: Waiter<T>[] = [];
  private ended: Error | undefined;

  /** @param capacity the most values kept, unread and in `received` each. */
  constructor(private readonly capacity: number) {}

  /** Every value delivered so far (the last `capacity`), read or not, in order. */
  get received(): readonly T[] {
    return this.all;
  }

  /** Delivers a value: to the oldest waiter, else to the unread list. */
  push(value: T): void {
    keepBounded(this.all, value, this.capacity);
    const waiter = this.waiters.shift();
    if (waiter === undefined) {
      keepBounded(this.unread, value, this.capacity);
      return;
    }
    clearTimeout(waiter.timer);
    waiter.resolve(value);
  }

  /**
   * The oldest unread value, or the next one to arrive.
   * @rejects WsRoomsTestError `WS_ROOMS_TEST_TIMEOUT` after `timeout` ms, naming `what`; the error
   *   given to `end()` once the channel ended and nothing is left to read.
   */
  next(timeout: number, what: string): Promise<T> {
    if (this.unread.length > 0) return Promise.resolve(this.unread.shift() as T);
    if (this.ended !== undefined) return Promise.reject(this.ended);
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(
            new WsRoomsTestError(
              WsRoomsTestErrorCode.Timeout,
              `${what}: nothing arrived within ${timeout} ms`,
            ),
          );
        }, timeout),
      };
      waiter.timer.unref?.();
      this.waiters.push(waiter);
    });
  }

  /** Drops the unread values (`received` keeps them). */
  clear(): void {
    this.unread.length = 0;
  }

  /** No value will come any more: waiters fail now with `error`, later `next()` once read out. */
  end(error: Error): void {
    this.ended = error;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }
}

function keepBounded<T>(list: T[], value: T, capacity: number): void {
  list.push(value);
  if (list.length > capacity) list.shift();
}
