/**
 * The public surface of the Redis store. Nothing here imports `ioredis`, not even its types (they
 * are declared structurally in `redis-client.ts`): the package is required when a store is
 * constructed from a URL, and a consumer's type-check never needs it.
 */
export { RedisRoomStore } from './redis-room-store';
export { RedisRoomStoreError, RedisRoomStoreErrorCode } from './redis-room-store.error';
export type { RedisClusterOptions, RedisRoomStoreOptions } from './redis-store-options';
export type { RedisRoomStoreStats } from './redis-room-store-stats';
export type { RedisClient, RedisConnectionOptions, RedisTransaction } from './redis-client';
