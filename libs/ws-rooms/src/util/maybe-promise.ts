import type { MaybePromise } from '../store/presence-store.interface';

/**
 * Runs `next` with a value that may or may not be a promise: synchronously when it is not. The
 * memory stores answer at once, and the single-node server keeps its same-turn ordering (a joiner
 * gets its presence list in the turn of the join) without a microtask per step.
 */
export function after<T, R>(
  value: MaybePromise<T>,
  next: (value: T) => MaybePromise<R>,
): MaybePromise<R> {
  return isPromiseLike(value) ? Promise.resolve(value).then(next) : next(value);
}

/** True for anything with a callable `then`. */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}
