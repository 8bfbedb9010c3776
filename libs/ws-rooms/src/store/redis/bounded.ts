/**
 * The promise, or a rejection once `milliseconds` passed: every wait on Redis has an end (a Redis
 * that accepts the connection and answers nothing never settles a command). The timer is
 * `unref()`ed and cleared as soon as the race is decided.
 */
export function bounded<T>(promise: Promise<T>, milliseconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${milliseconds} ms`)), milliseconds);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
