import { isPromiseLike } from './maybe-promise';

/**
 * The asynchronous work an endpoint started and must see finish (or give up on) before it stops:
 * store calls, replays, disconnect handlers. Failures are reported, never thrown, since nothing
 * awaits them except shutdown.
 */
export class InFlight {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly report: (error: unknown) => void) {}

  /** Keeps `result` until it settles, when it is a promise; anything else is ignored. */
  track(result: unknown): void {
    if (!isPromiseLike(result)) return;
    const promise = Promise.resolve(result).catch(this.report);
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
  }

  /** Resolves when everything tracked so far has settled. */
  idle(): Promise<unknown> {
    return Promise.all([...this.pending]);
  }
}
