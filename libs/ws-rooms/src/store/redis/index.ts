/**
 * The public surface of the Redis store. Nothing here imports `ioredis` at load time (types only):
 * the package is required when a store is constructed from a URL.
 */
export { RedisRoomStore } from './redis-room-store';
export { RedisRoomStoreError, RedisRoomStoreErrorCode } from './redis-room-store.error';
export type { RedisRoomStoreOptions } from './redis-store-options';
export type { RedisRoomStoreStats } from './redis-room-store-stats';
