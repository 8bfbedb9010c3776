import type { RedisClient } from './redis-client';
import type { RedisKeys } from './redis-keys';
import type { RedisRoomStoreStats } from './redis-room-store-stats';
import type { WireLimits } from './redis-wire-limits';

/**
 * What the presence and recovery parts of the Redis store share with the room store: its node id,
 * its key names, its command connection, its view of the live nodes and its rate-limited log.
 */
export interface RedisStoreContext {
  readonly nodeId: string;
  readonly keys: RedisKeys;
  /** The room store's counters, updated in place. */
  readonly stats: RedisRoomStoreStats;
  /** The bounds of what other nodes write: messages, and the records read back from Redis. */
  readonly limits: WireLimits;
  /** The command connection while it is ready, null otherwise (commands would fail at once). */
  readyClient(): RedisClient | null;
  /** The ids of the nodes whose heartbeat is alive (this one included). */
  liveNodes(): Promise<string[]>;
  /** Logs a recurring failure at most once per period and kind. */
  failure(kind: string, message: string): void;
}
