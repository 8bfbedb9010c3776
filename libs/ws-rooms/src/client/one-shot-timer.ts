import type { ClientTimers } from './client-options';

/**
 * One pending timeout on the client's injectable clock, at most: starting it again replaces the
 * pending one, and a callback that fires after `clear()` (a fake clock may run one late) is ignored.
 */
export class OneShotTimer {
  private current: { handle: unknown } | null = null;

  /**
   * @param unref let the timer not keep a Node process alive: for bookkeeping timers that must not
   *   delay an exit on their own.
   */
  constructor(
    private readonly timers: Pick<ClientTimers, 'setTimeout' | 'clearTimeout'>,
    private readonly unref = false,
  ) {}

  /** Whether a timeout is pending. */
  get pending(): boolean {
    return this.current !== null;
  }

  /** Runs `callback` after `ms`, replacing a pending timeout. */
  start(ms: number, callback: () => void): void {
    this.clear();
    const timer = {
      handle: this.timers.setTimeout(() => {
        if (this.current !== timer) return;
        this.current = null;
        callback();
      }, ms),
    };
    if (this.unref) (timer.handle as { unref?: () => void } | null)?.unref?.();
    this.current = timer;
  }

  /** Cancels the pending timeout, if any. */
  clear(): void {
    if (this.current === null) return;
    this.timers.clearTimeout(this.current.handle);
    this.current = null;
  }
}
