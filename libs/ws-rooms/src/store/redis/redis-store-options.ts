import { randomBytes } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import type { RedisClient, RedisConnectionOptions } from './redis-client';
import { WsRoomsErrorCode } from '../../errors/error-codes';
import { WsRoomsError } from '../../errors/ws-rooms.error';
import type { Scheduler } from '../../util/scheduler';
import { MAX_NODE_ID_BYTES } from './redis-wire';
import { DEFAULT_MAX_MESSAGE_BYTES } from './redis-wire-limits';

/** Where a Redis Cluster is, for {@link RedisRoomStoreOptions.cluster}. */
export interface RedisClusterOptions {
  /**
   * Some of the cluster's nodes (one reachable is enough): the store asks them for the layout
   * (`CLUSTER SLOTS`) and connects to every master.
   */
  nodes: readonly { host: string; port: number }[];
}

/**
 * Options of {@link RedisRoomStore}. Give exactly one of `url`, `client` and `cluster`.
 *
 * Every node of one cluster must use the same `keyPrefix`; two endpoints (or two apps) that share a
 * Redis server must use different ones.
 */
export interface RedisRoomStoreOptions {
  /**
   * A Redis URL (`redis://[user:password@]host:port[/db]`, `rediss://` for TLS). The store opens
   * two connections from it: one to publish and query, one to subscribe.
   */
  url?: string;
  /**
   * An ioredis client to publish and query through, which stays yours: the store never closes it.
   * The store subscribes on its own connection, `client.duplicate()`.
   */
  client?: RedisClient;
  /**
   * A Redis Cluster (Redis 7 or later) instead of one Redis: the store connects with ioredis'
   * `Cluster`, uses sharded pub/sub (`SSUBSCRIBE`/`SPUBLISH`) so that a room's traffic touches only
   * the shard of its channel, and lays its keys out with hash tags (`<keyPrefix>:{room:<name>}`).
   * Recovery's log is kept in one slot (`{log}`). See docs/multi-node.md, "Redis Cluster".
   */
  cluster?: RedisClusterOptions;
  /**
   * Extra ioredis options for the connections the store opens: from `url`, or to each node of the
   * `cluster` (ignored with `client`).
   */
  redisOptions?: RedisConnectionOptions;
  /**
   * Namespace of every channel and key the store uses (`<keyPrefix>:room:<name>`,
   * `<keyPrefix>:conn:<id>`, ..., see docs/multi-node.md). Every node of a cluster uses the same one.
   * @default 'ws-rooms'
   */
  keyPrefix?: string;
  /**
   * The former name of {@link keyPrefix}, still accepted. Giving both with different values is an
   * error at construction.
   * @deprecated use `keyPrefix` (the same namespace under a name that cannot be mistaken for the
   * protocol's message `prefix` of the endpoint options)
   */
  prefix?: string;
  /**
   * This node's id in the cluster (at most 255 UTF-8 bytes, unique among live nodes).
   * @default 12 random base64url characters
   */
  nodeId?: string;
  /**
   * How long a cluster-wide query or a remote command waits for the other nodes' answers; a query
   * that is still missing a live node's answer then resolves with `partial: true`.
   * @default 1000
   */
  requestTimeout?: number;
  /**
   * How often the node refreshes its heartbeat key, in milliseconds.
   * @default 1000
   */
  heartbeatInterval?: number;
  /**
   * Lifetime of the heartbeat key, in milliseconds: a node that stopped refreshing it (crashed,
   * partitioned, frozen) drops out of query results at most this long after its last heartbeat.
   * Must be greater than `heartbeatInterval`; at least twice it is advisable so that one late
   * refresh does not make a healthy node look dead.
   * @default 5000
   */
  heartbeatTtl?: number;
  /**
   * Bytes of broadcasts published to Redis and not yet acknowledged by it beyond which further
   * broadcasts for other nodes are dropped (and counted in `stats.publishSkipped`): a Redis that
   * accepts the connection but stops answering never makes this process's memory grow without bound.
   * @default 16777216 (16 MiB)
   */
  maxUnacknowledgedBytes?: number;
  /**
   * Largest message, in bytes, this node sends to or takes from the other nodes (a broadcast with
   * its header, a command, a query, an answer). Bigger ones are dropped and counted
   * (`stats.publishOverLimits` when sending, `stats.messagesOverLimits` when receiving). Every node
   * of a cluster should use the same value.
   * @default 16777216 (16 MiB)
   */
  maxMessageBytes?: number;
  /**
   * How long `start()` waits for Redis before it fails with `WS_ROOMS_REDIS_UNAVAILABLE`.
   * @default 5000
   */
  connectTimeout?: number;
  /** Where the store logs connection gaps and failures. @default a Nest `Logger('WsRooms:redis')` */
  logger?: Pick<LoggerService, 'log' | 'warn' | 'error'>;
  /** @internal a clock and an interval timer, for tests of the heartbeat */
  scheduler?: Scheduler;
}

/** The options once defaults are applied. */
export interface ResolvedRedisRoomStoreOptions {
  readonly url: string | undefined;
  readonly client: RedisClient | undefined;
  /** The seed nodes of a Redis Cluster, when the store runs on one. */
  readonly cluster: RedisClusterOptions | undefined;
  readonly redisOptions: RedisConnectionOptions;
  readonly keyPrefix: string;
  readonly nodeId: string;
  readonly requestTimeout: number;
  readonly heartbeatInterval: number;
  readonly heartbeatTtl: number;
  readonly connectTimeout: number;
  readonly maxUnacknowledgedBytes: number;
  readonly maxMessageBytes: number;
}

/**
 * Applies the defaults and rejects contradictions up front.
 * @throws WsRoomsError `WS_ROOMS_INVALID_OPTION`
 */
export function resolveRedisStoreOptions(
  input: RedisRoomStoreOptions,
): ResolvedRedisRoomStoreOptions {
  if (input === null || typeof input !== 'object') fail('options must be an object');
  const { url, client } = input;
  const cluster = resolveCluster(input.cluster);
  if ([url, client, cluster].filter((given) => given !== undefined).length !== 1) {
    fail('give exactly one of "url", "client" and "cluster"');
  }
  if (url !== undefined && (typeof url !== 'string' || !/^rediss?:\/\//.test(url))) {
    fail(`"url" must be a redis:// or rediss:// URL, got ${JSON.stringify(url)}`);
  }
  if (
    client !== undefined &&
    (typeof client !== 'object' || typeof client.duplicate !== 'function')
  ) {
    fail('"client" must be an ioredis client');
  }
  const redisOptions = input.redisOptions ?? {};
  if (typeof redisOptions !== 'object' || redisOptions === null)
    fail('"redisOptions" must be an object');
  const keyPrefix = resolveKeyPrefix(input);
  // On a cluster the names carry hash tags after the prefix: a brace in it would move the tag.
  if (cluster !== undefined && /[{}]/.test(keyPrefix)) {
    fail(
      `"keyPrefix" must not contain "{" or "}" with "cluster", got ${JSON.stringify(keyPrefix)}`,
    );
  }
  const nodeId = input.nodeId ?? randomBytes(9).toString('base64url');
  if (
    typeof nodeId !== 'string' ||
    nodeId.length === 0 ||
    Buffer.byteLength(nodeId) > MAX_NODE_ID_BYTES
  ) {
    fail(`"nodeId" must be a non-empty string of at most ${MAX_NODE_ID_BYTES} UTF-8 bytes`);
  }
  const heartbeatInterval = positiveInteger(input, 'heartbeatInterval', 1000);
  const heartbeatTtl = positiveInteger(input, 'heartbeatTtl', 5000);
  if (heartbeatTtl <= heartbeatInterval) {
    fail(
      `"heartbeatTtl" (${heartbeatTtl}) must be greater than "heartbeatInterval" (${heartbeatInterval})`,
    );
  }
  const maxMessageBytes = positiveInteger(input, 'maxMessageBytes', DEFAULT_MAX_MESSAGE_BYTES);
  // Below this, answers to ordinary queries would not fit and the cluster would answer partially.
  if (maxMessageBytes < MIN_MESSAGE_BYTES) {
    fail(`"maxMessageBytes" must be at least ${MIN_MESSAGE_BYTES}, got ${maxMessageBytes}`);
  }
  return {
    url,
    client,
    cluster,
    redisOptions,
    keyPrefix,
    nodeId,
    requestTimeout: positiveInteger(input, 'requestTimeout', 1000),
    heartbeatInterval,
    heartbeatTtl,
    connectTimeout: positiveInteger(input, 'connectTimeout', 5000),
    maxUnacknowledgedBytes: positiveInteger(input, 'maxUnacknowledgedBytes', 16 * 1024 * 1024),
    maxMessageBytes,
  };
}

/** `keyPrefix`, or its deprecated alias `prefix`: one namespace, so two different values are refused. */
function resolveKeyPrefix(input: RedisRoomStoreOptions): string {
  const { keyPrefix, prefix } = input;
  if (keyPrefix !== undefined && prefix !== undefined && keyPrefix !== prefix) {
    fail(
      `"keyPrefix" (${JSON.stringify(keyPrefix)}) and its deprecated alias "prefix" ` +
        `(${JSON.stringify(prefix)}) differ: give "keyPrefix" only`,
    );
  }
  const name = keyPrefix !== undefined ? 'keyPrefix' : 'prefix';
  const value = keyPrefix ?? prefix ?? 'ws-rooms';
  if (typeof value !== 'string' || value.length === 0) fail(`"${name}" must be a non-empty string`);
  return value;
}

/** Most seed nodes accepted in `cluster.nodes`. */
const MAX_CLUSTER_SEEDS = 64;

/** `cluster`: a non-empty list of `{ host, port }`, copied (the caller's array may change later). */
function resolveCluster(cluster: RedisClusterOptions | undefined): RedisClusterOptions | undefined {
  if (cluster === undefined) return undefined;
  if (typeof cluster !== 'object' || cluster === null || !Array.isArray(cluster.nodes)) {
    fail('"cluster" must be an object with "nodes", a list of { host, port }');
  }
  const { nodes } = cluster;
  if (nodes.length === 0 || nodes.length > MAX_CLUSTER_SEEDS) {
    fail(`"cluster.nodes" must list 1 to ${MAX_CLUSTER_SEEDS} nodes, got ${nodes.length}`);
  }
  const copied = nodes.map((node, index) => {
    const { host, port } = (node ?? {}) as { host?: unknown; port?: unknown };
    if (typeof host !== 'string' || host.length === 0) {
      fail(`"cluster.nodes[${index}].host" must be a non-empty string`);
    }
    if (typeof port !== 'number' || !Number.isInteger(port) || port <= 0 || port > 65_535) {
      fail(`"cluster.nodes[${index}].port" must be a port number, got ${JSON.stringify(port)}`);
    }
    return Object.freeze({ host, port });
  });
  return Object.freeze({ nodes: Object.freeze(copied) });
}

/** The smallest `maxMessageBytes` accepted. */
const MIN_MESSAGE_BYTES = 4096;

type NumericKey =
  | 'requestTimeout'
  | 'heartbeatInterval'
  | 'heartbeatTtl'
  | 'connectTimeout'
  | 'maxUnacknowledgedBytes'
  | 'maxMessageBytes';

function positiveInteger(
  options: RedisRoomStoreOptions,
  key: NumericKey,
  fallback: number,
): number {
  const value = options[key] ?? fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    fail(`"${key}" must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function fail(message: string): never {
  throw new WsRoomsError(
    WsRoomsErrorCode.InvalidOption,
    `ws-rooms: invalid RedisRoomStore option: ${message}`,
  );
}
