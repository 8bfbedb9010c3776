import type { LoggerService } from '@nestjs/common';
import { monotonicNow } from './clock';

/**
 * Bounds how many lines one kind of event may log: at most `perWindow` lines every `windowMs`,
 * then one line that says how many were left out. A client that can make the server log (a flood
 * of failing handlers, connect-disconnect churn) must not be able to fill the disk with it.
 */
export class LogBudget {
  private windowStart = Number.NEGATIVE_INFINITY;
  private used = 0;
  private suppressed = 0;

  constructor(
    private readonly logger: Pick<LoggerService, 'warn'>,
    private readonly perWindow = 20,
    private readonly windowMs = 10_000,
    private readonly now: () => number = monotonicNow,
  ) {}

  /** True when the caller may log one more line now. */
  allow(): boolean {
    const now = this.now();
    if (now - this.windowStart >= this.windowMs) {
      if (this.suppressed > 0) {
        this.logger.warn(
          `${this.suppressed} similar log lines were left out in the last ${this.windowMs} ms`,
        );
      }
      this.windowStart = now;
      this.used = 0;
      this.suppressed = 0;
    }
    if (this.used < this.perWindow) {
      this.used++;
      return true;
    }
    this.suppressed++;
    return false;
  }
}
