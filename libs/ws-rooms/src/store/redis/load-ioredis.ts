import type { RedisClient, RedisConnectionOptions } from './redis-client';
import type { ClusterConstructor } from './sharded-client';
import { RedisRoomStoreErrorCode, RedisRoomStoreError } from './redis-room-store.error';

/** The ioredis client constructor, as `new Redis(url, options)`. */
export type RedisConstructor = new (url: string, options: RedisConnectionOptions) => RedisClient;

/**
 * Loads `ioredis` when a store is built from a URL, never when `ws-rooms` itself is loaded: apps
 * that keep rooms in memory do not need the package installed.
 * @throws RedisRoomStoreError `WS_ROOMS_REDIS_MISSING_DEPENDENCY`
 */
export function loadIoredis(): RedisConstructor {
  let loaded: { Redis?: RedisConstructor; default?: RedisConstructor };
  try {
    // A lazy require on purpose: an `import` would make ioredis a hard dependency of the core.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('ioredis') as typeof loaded;
  } catch (error) {
    throw new RedisRoomStoreError(
      RedisRoomStoreErrorCode.MissingDependency,
      'ws-rooms: RedisRoomStore({ url }) needs the "ioredis" package (npm install ioredis@5); ' +
        'or pass an ioredis instance as { client }',
      { cause: error },
    );
  }
  const constructor = loaded.Redis ?? loaded.default;
  if (typeof constructor !== 'function') {
    throw new RedisRoomStoreError(
      RedisRoomStoreErrorCode.MissingDependency,
      'ws-rooms: the installed "ioredis" does not export a Redis class; RedisRoomStore needs ioredis 5',
    );
  }
  return constructor;
}

/**
 * Loads ioredis' `Cluster` class, for a store given `cluster` (lazily, as {@link loadIoredis}).
 * @throws RedisRoomStoreError `WS_ROOMS_REDIS_MISSING_DEPENDENCY`
 */
export function loadIoredisCluster(): ClusterConstructor {
  let loaded: { Cluster?: ClusterConstructor };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('ioredis') as typeof loaded;
  } catch (error) {
    throw new RedisRoomStoreError(
      RedisRoomStoreErrorCode.MissingDependency,
      'ws-rooms: RedisRoomStore({ cluster }) needs the "ioredis" package (npm install ioredis@5)',
      { cause: error },
    );
  }
  if (typeof loaded.Cluster !== 'function') {
    throw new RedisRoomStoreError(
      RedisRoomStoreErrorCode.MissingDependency,
      'ws-rooms: the installed "ioredis" does not export a Cluster class; RedisRoomStore needs ioredis 5',
    );
  }
  return loaded.Cluster;
}
