import type { Scheduler } from '../../util/scheduler';
import type { RedisStoreLogger } from './redis-store-context';

/** At most one log line per kind of recurring failure in this period (the counters say how often). */
const FAILURE_LOG_PERIOD = 30_000;

/**
 * The store's log of recurring failures: a Redis that misbehaves fails every command, and one line
 * per failure would flood the logs (and cost more than the failure). Each kind is logged at most
 * once per 30 s; the store's counters tell how many there were.
 */
export class FailureLog {
  private readonly lastLogged = new Map<string, number>();

  constructor(
    private readonly logger: RedisStoreLogger,
    private readonly scheduler: Scheduler,
  ) {}

  /** Logs the message unless a failure of this kind was logged less than 30 s ago. */
  report(kind: string, message: string): void {
    const now = this.scheduler.now();
    const last = this.lastLogged.get(kind);
    if (last !== undefined && now - last < FAILURE_LOG_PERIOD) return;
    this.lastLogged.set(kind, now);
    this.logger.error(message);
  }
}
