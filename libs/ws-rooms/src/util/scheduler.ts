import { monotonicNow } from './clock';

/** A clock and a repeating timer, injectable so tests can drive the heartbeat without waiting. */
export interface Scheduler {
  /** Milliseconds on a monotonic clock: what every duration is measured with. */
  now(): number;
  /**
   * Milliseconds since the epoch, for timestamps other machines compare (a shared recovery log).
   * Optional: a test clock without it stands for both.
   */
  wallNow?(): number;
  every(milliseconds: number, tick: () => void): { cancel(): void };
}

/**
 * The real clock: a monotonic one (a wall-clock step must neither cut healthy clients nor spare
 * dead ones) and an `unref`ed interval that never keeps the process alive.
 */
export const systemScheduler: Scheduler = {
  now: monotonicNow,
  wallNow: () => Date.now(),
  every(milliseconds, tick) {
    const timer = setInterval(tick, milliseconds);
    timer.unref();
    return { cancel: () => clearInterval(timer) };
  },
};
