import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';

/*
 * The Redis store works with ioredis 5, an optional peer: an app that keeps rooms in memory does
 * not install it. These types describe, structurally, the part of ioredis the store touches, so
 * that no declaration of ws-rooms imports `ioredis`: a consumer compiling with
 * `skipLibCheck: false` and without ioredis still compiles, and an ioredis `Redis` instance and
 * `RedisOptions` object are accepted where these types are asked for
 * (`redis-client.types.spec.ts` checks that they stay compatible).
 */

/** A `MULTI` being built on a {@link RedisClient} (ioredis' `ChainableCommander`), as the store uses it. */
export interface RedisTransaction {
  set(
    key: string,
    value: string,
    millisecondsToken: 'PX',
    milliseconds: number,
    get: 'GET',
  ): RedisTransaction;
  sadd(key: string, member: string): RedisTransaction;
  del(key: string): RedisTransaction;
  srem(key: string, member: string): RedisTransaction;
  /** Runs the transaction: one `[error, result]` pair per command, or null when it was aborted. */
  exec(): Promise<[error: Error | null, result: unknown][] | null>;
}

/**
 * A Redis connection as the store uses it: what an ioredis 5 `Redis` instance offers. Pass an
 * ioredis client as the store's `client` option; nothing else is meant to implement it.
 */
export interface RedisClient {
  /** The connection's state; the store acts only on `'ready'` (and connects a `'wait'` one). */
  readonly status: string;
  /** A new connection with the same settings, these options applied on top. */
  duplicate(options?: RedisConnectionOptions): RedisClient;
  connect(): Promise<void>;
  disconnect(reconnect?: boolean): void;
  on(event: 'messageBuffer', listener: (channel: Buffer, message: Buffer) => void): unknown;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: 'messageBuffer', listener: (channel: Buffer, message: Buffer) => void): unknown;
  /** Resolves with the number of subscribers that received it. */
  publish(channel: string, message: string | Buffer): Promise<number>;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  multi(): RedisTransaction;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, millisecondsToken: 'PX', milliseconds: number): Promise<unknown>;
  mget(keys: string[]): Promise<(string | null)[]>;
  smembers(key: string): Promise<string[]>;
  xrangeBuffer(key: string, start: string, end: string): Promise<[id: Buffer, fields: Buffer[]][]>;
  script(subcommand: 'LOAD', script: string): Promise<unknown>;
  evalsha(
    sha1: string,
    numberOfKeys: number,
    ...keysAndArguments: (string | Buffer | number)[]
  ): Promise<unknown>;
  eval(
    script: string,
    numberOfKeys: number,
    ...keysAndArguments: (string | Buffer | number)[]
  ): Promise<unknown>;
}

/**
 * The options of an ioredis 5 connection (`RedisOptions`), which the store hands to ioredis as they
 * are: see ioredis' documentation for each. Every option ioredis 5 knows is listed, so that an
 * ioredis `RedisOptions` object is accepted as is; options whose types are ioredis' own (a
 * connector, sentinels, a NAT map, scripts) are `unknown` here and checked by ioredis.
 */
export interface RedisConnectionOptions {
  // Connection
  host?: string | undefined;
  port?: number | undefined;
  path?: string | undefined;
  family?: number | undefined;
  username?: string | undefined;
  password?: string | undefined;
  db?: number | undefined;
  tls?: TlsConnectionOptions | undefined;
  connectionName?: string | undefined;
  disableClientInfo?: boolean | undefined;
  clientInfoTag?: string | undefined;
  keyPrefix?: string | undefined;
  connectTimeout?: number | undefined;
  disconnectTimeout?: number | undefined;
  commandTimeout?: number | undefined;
  blockingTimeout?: number | undefined;
  blockingTimeoutGrace?: number | undefined;
  socketTimeout?: number | undefined;
  keepAlive?: number | undefined;
  noDelay?: boolean | undefined;
  lazyConnect?: boolean | undefined;
  readOnly?: boolean | undefined;
  stringNumbers?: boolean | undefined;
  monitor?: boolean | undefined;
  showFriendlyErrorStack?: boolean | undefined;
  // Reconnection and queues
  retryStrategy?: ((times: number) => number | void | null) | null | undefined;
  reconnectOnError?: ((error: Error) => boolean | 1 | 2) | null | undefined;
  maxRetriesPerRequest?: number | null | undefined;
  maxLoadingRetryTime?: number | undefined;
  autoResubscribe?: boolean | undefined;
  autoResendUnfulfilledCommands?: boolean | undefined;
  enableOfflineQueue?: boolean | undefined;
  offlineQueue?: boolean | undefined;
  commandQueue?: boolean | undefined;
  enableReadyCheck?: boolean | undefined;
  enableAutoPipelining?: boolean | undefined;
  autoPipeliningIgnoredCommands?: string[] | undefined;
  // Sentinel
  name?: string | undefined;
  role?: 'master' | 'slave' | undefined;
  sentinelUsername?: string | undefined;
  sentinelPassword?: string | undefined;
  sentinels?: unknown;
  sentinelRetryStrategy?: ((retryAttempts: number) => number | void | null) | undefined;
  sentinelReconnectStrategy?: ((retryAttempts: number) => number | void | null) | undefined;
  preferredSlaves?: unknown;
  sentinelCommandTimeout?: number | undefined;
  enableTLSForSentinelMode?: boolean | undefined;
  sentinelTLS?: TlsConnectionOptions | undefined;
  natMap?: unknown;
  updateSentinels?: boolean | undefined;
  sentinelMaxConnections?: number | undefined;
  failoverDetector?: boolean | undefined;
  // ioredis' own types
  Connector?: unknown;
  scripts?: unknown;
}
