import { describeError } from '../../util/describe-error';
import type { RedisStoreContext } from './redis-store-context';

/** The steps that bring the store back once both connections are ready again. */
export interface RecoverySteps {
  /** True when both connections are ready. */
  bothReady(): boolean;
  /** Subscribes again to every wanted channel (the new subscriber connection has none). */
  resubscribe(): Promise<void>;
  /** Registers the heartbeat again (Redis may have restarted empty). */
  heartbeat(): Promise<void>;
  /** Marks the log scripts as unknown (a restarted Redis forgot them). */
  forgetScripts(): void;
  /** Loads the log scripts (recovery on). */
  loadScripts(): Promise<void>;
  /** Delivers what was logged while this node was not listening (recovery on). */
  catchUp(): Promise<void>;
  /** Refreshes the `connected` gauge. */
  updateGauges(): void;
}

/**
 * Redis lost while running, and found again. Local delivery never waits for Redis; while a
 * connection is down, broadcasts for other nodes are dropped (counted in `stats.publishSkipped`),
 * queries answer partially and remote commands resolve false. The gap is logged once when it starts
 * and once when it ends (the many errors ioredis reports in between are not); ioredis reconnects,
 * and once both connections are ready the store subscribes again, re-registers its heartbeat,
 * reloads its scripts and catches up with the log, before `stats.connected` turns true again.
 */
export class Reconnection {
  private gapStartedAt: number | null = null;
  private skippedAtGapStart = 0;
  private subscriberLost = false;
  private recovering = false;

  constructor(
    private readonly context: RedisStoreContext,
    private readonly steps: RecoverySteps,
  ) {}

  /** True from a connection loss until the store has recovered from it. */
  get inGap(): boolean {
    return this.gapStartedAt !== null;
  }

  /** A connection closed (`subscriber`: the subscriber one). */
  lost(subscriber: boolean): void {
    const { context } = this;
    if (!context.running()) return;
    this.steps.forgetScripts();
    if (subscriber) this.subscriberLost = true;
    context.stats.connected = false;
    if (this.gapStartedAt !== null) return;
    this.gapStartedAt = context.scheduler.now();
    this.skippedAtGapStart = context.stats.publishSkipped;
    context.stats.connectionLosses++;
    context.logger.warn(
      'lost the connection to Redis: local delivery continues; broadcasts to other nodes are dropped and ' +
        'queries answer partially until it is back (ioredis reconnects)',
    );
  }

  /** A connection is ready: once both are, the store is brought back and the gap closed. */
  async ready(): Promise<void> {
    const { context, steps } = this;
    if (!context.running() || this.recovering || !steps.bothReady()) return;
    this.recovering = true;
    try {
      if (this.subscriberLost) {
        this.subscriberLost = false;
        await steps.resubscribe();
      }
      // Redis may have restarted empty: register again now rather than at the next tick.
      await steps.heartbeat();
      // A restarted Redis forgot the scripts: load them before broadcasts are numbered again.
      await steps.loadScripts();
      // Offsets go on from where this node was; what was logged meanwhile is delivered now.
      await steps.catchUp().catch((error: unknown) => {
        context.failure('log', `catching up with the log failed: ${describeError(error)}`);
      });
    } finally {
      this.recovering = false;
    }
    if (!context.running() || !steps.bothReady()) return;
    // The subscriber was lost again while recovering: once more.
    if (this.subscriberLost) return void this.ready();
    if (this.gapStartedAt !== null) {
      const lasted = context.scheduler.now() - this.gapStartedAt;
      const skipped = context.stats.publishSkipped - this.skippedAtGapStart;
      this.gapStartedAt = null;
      context.stats.reconnections++;
      context.logger.log(
        `reconnected to Redis after ${lasted} ms; ${skipped} broadcasts were not forwarded meanwhile`,
      );
    }
    steps.updateGauges();
  }

  /** An error on a connection: logged (rate-limited) unless it is part of a gap already logged. */
  error(error: unknown): void {
    if (this.gapStartedAt !== null || !this.context.running()) return;
    this.context.failure(
      'redis',
      `Redis error: ${error instanceof Error ? error.message : String(error)}`,
    );
  }

  /** ioredis gave up reconnecting. */
  end(): void {
    if (!this.context.running()) return;
    this.context.logger.error(
      'ioredis stopped reconnecting (its retryStrategy gave up): this node no longer reaches the others',
    );
  }
}
