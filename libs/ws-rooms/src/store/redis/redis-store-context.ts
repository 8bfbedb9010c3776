import type { LoggerService } from '@nestjs/common';
import type { Scheduler } from '../../util/scheduler';
import type { LocalNode } from '../room-store.interface';
import type { RedisClient } from './redis-client';
import type { RedisKeys } from './redis-keys';
import type { RedisRoomStoreStats } from './redis-room-store-stats';
import type { ResolvedRedisRoomStoreOptions } from './redis-store-options';
import type { WireLimits } from './redis-wire-limits';

/** Where the store logs what an operator should see (recurring failures go through `failure`). */
export type RedisStoreLogger = Pick<LoggerService, 'log' | 'warn' | 'error'>;

/**
 * What the parts of the Redis store share: its identity, names, bounds, counters and options, its
 * connections and the node it serves, and its rate-limited log. One object, built by the
 * {@link RedisRoomStore} facade; each part reads what it needs from it and keeps its own state.
 */
export interface RedisStoreContext {
  readonly nodeId: string;
  readonly keys: RedisKeys;
  /** The room store's counters, updated in place. */
  readonly stats: RedisRoomStoreStats;
  /** The bounds of what other nodes write: messages, and the records read back from Redis. */
  readonly limits: WireLimits;
  /** The store's options, defaults applied. */
  readonly options: ResolvedRedisRoomStoreOptions;
  /** The clock and the interval timer (a test's own in the heartbeat tests). */
  readonly scheduler: Scheduler;
  /** Where connection gaps and losses are logged, once each. */
  readonly logger: RedisStoreLogger;
  /** The command connection once opened (whatever its state), null before start and after close. */
  client(): RedisClient | null;
  /** The command connection while the store runs and it is ready, null otherwise. */
  readyClient(): RedisClient | null;
  /** The node served, from `start()` until `close()`; null outside. */
  node(): LocalNode | null;
  /** True from the end of `start()` until `close()`. */
  running(): boolean;
  /** True while running with both connections ready and no connection gap being recovered from. */
  connected(): boolean;
  /** The ids of the nodes whose heartbeat is alive (this one included). */
  liveNodes(): Promise<string[]>;
  /** Logs a recurring failure at most once per period and kind. */
  failure(kind: string, message: string): void;
}

/** Milliseconds since the epoch: for what other machines read (the scheduler's `now()` is monotonic). */
export function wallNow(scheduler: Scheduler): number {
  return scheduler.wallNow?.() ?? scheduler.now();
}

/**
 * Something this node was about to send breaks a wire limit, so every other node would drop it:
 * not sent, counted in `stats.publishOverLimits`, logged at most once per period.
 */
export function refuseOverLimits(
  context: Pick<RedisStoreContext, 'stats' | 'failure'>,
  what: string,
): void {
  context.stats.publishOverLimits++;
  context.failure('publish-limits', `not sent to the other nodes, beyond the wire limits: ${what}`);
}
