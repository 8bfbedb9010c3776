import { withTimeout } from './protocol-client';

/** Items pushed by a fixture, awaited by a test: completion is signalled by the event itself. */
export class Recorder<T> {
  readonly items: T[] = [];
  private waiters: { match: (item: T, index: number) => boolean; resolve: (item: T) => void }[] =
    [];

  push(item: T): void {
    this.items.push(item);
    const index = this.items.length - 1;
    this.waiters = this.waiters.filter((waiter) => {
      if (!waiter.match(item, index)) return true;
      waiter.resolve(item);
      return false;
    });
  }

  waitFor(
    match: (item: T, index: number) => boolean,
    timeoutMs = 3000,
    what = 'a record',
  ): Promise<T> {
    const index = this.items.findIndex(match);
    if (index !== -1) return Promise.resolve(this.items[index]);
    return withTimeout(
      new Promise<T>((resolve) => this.waiters.push({ match, resolve })),
      timeoutMs,
      what,
    );
  }

  /** Resolves once `count` items were pushed. */
  waitForCount(count: number, timeoutMs = 3000, what = `${count} records`): Promise<T> {
    return this.waitFor((_, index) => index === count - 1, timeoutMs, what);
  }
}
