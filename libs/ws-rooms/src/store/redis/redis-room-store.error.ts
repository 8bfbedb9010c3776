/** Stable codes of {@link RedisRoomStoreError}. */
export const RedisRoomStoreErrorCode = {
  /** Redis could not be reached within `connectTimeout` when the store started. */
  Unavailable: 'WS_ROOMS_REDIS_UNAVAILABLE',
  /** The `ioredis` package is not installed. */
  MissingDependency: 'WS_ROOMS_REDIS_MISSING_DEPENDENCY',
  /** The store was started twice, or after `close()`: one store serves one endpoint, once. */
  InvalidState: 'WS_ROOMS_REDIS_INVALID_STATE',
} as const;

/** One of the values of {@link RedisRoomStoreErrorCode}. */
export type RedisRoomStoreErrorCode =
  (typeof RedisRoomStoreErrorCode)[keyof typeof RedisRoomStoreErrorCode];

/** The error {@link RedisRoomStore} raises; `code` is stable. Raised at start-up only, never per message. */
export class RedisRoomStoreError extends Error {
  override readonly name = 'RedisRoomStoreError';

  constructor(
    readonly code: RedisRoomStoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
