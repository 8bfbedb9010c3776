import type { RedisClient } from './redis-client';
import type { RedisConstructor } from './load-ioredis';
import { RedisRoomStoreError, RedisRoomStoreErrorCode } from './redis-room-store.error';
import type { ResolvedRedisRoomStoreOptions } from './redis-store-options';
import { bounded } from './bounded';

/** What the store does when its connections report something. */
export interface ConnectionEvents {
  /** A pub/sub message on the subscriber connection. */
  message(channel: Buffer, data: Buffer): void;
  /** An error on a connection the store listens to (never thrown: ioredis reports and retries). */
  error(error: unknown): void;
  /** A connection closed; `subscriber` says which one. */
  lost(subscriber: boolean): void;
  /** A connection is ready (again). */
  ready(): void;
  /** ioredis gave up reconnecting. */
  end(): void;
}

/**
 * The store's two connections to Redis: one to publish and query (the caller's `client`, or one
 * opened from `url`) and one to subscribe (always the store's own, `duplicate()`). Opens them,
 * waits for them within `connectTimeout`, and closes what it opened; the caller's client only
 * loses the listeners the store put on it.
 */
export class RedisConnections {
  /** The command connection. */
  readonly pub: RedisClient;
  /** The subscriber connection. */
  readonly sub: RedisClient;
  /** Removes the listeners put on the connections (one of them may be the caller's). */
  private readonly detach: (() => void)[] = [];

  /** Creates both connections (they connect in {@link waitUntilReady}) and listens to them. */
  constructor(
    private readonly options: ResolvedRedisRoomStoreOptions,
    RedisClass: RedisConstructor | null,
    events: ConnectionEvents,
    /** Opens the connection to a Redis Cluster (`cluster` option): one object, publisher and subscriber. */
    openCluster?: () => RedisClient,
  ) {
    const { url, client, redisOptions, keyPrefix, nodeId } = options;
    // Nothing queues while Redis is away: what cannot be sent now is dropped and counted.
    this.pub =
      client ??
      openCluster?.() ??
      new RedisClass!(url!, {
        ...redisOptions,
        lazyConnect: true,
        enableOfflineQueue: false,
        connectionName: redisOptions.connectionName ?? `${keyPrefix}:${nodeId}:pub`,
      });
    this.sub = this.pub.duplicate({
      lazyConnect: true,
      enableOfflineQueue: false,
      // The store resubscribes itself after a reconnect: one source of truth for the channels.
      autoResubscribe: false,
      connectionName: `${keyPrefix}:${nodeId}:sub`,
    });
    this.listen(this.sub, 'messageBuffer', events.message as (...args: unknown[]) => void);
    for (const connection of this.owned) {
      // The caller's client keeps its own error handling; ours must never be without a listener.
      this.listen(connection, 'error', (error) => events.error(error));
    }
    for (const connection of [this.pub, this.sub]) {
      const subscriber = connection === this.sub;
      this.listen(connection, 'close', () => events.lost(subscriber));
      this.listen(connection, 'ready', () => events.ready());
      this.listen(connection, 'end', () => events.end());
    }
  }

  /** True when both connections are ready. */
  get bothReady(): boolean {
    return this.pub.status === 'ready' && this.sub.status === 'ready';
  }

  /**
   * Connects both and waits until they are ready, at most `connectTimeout`.
   * @throws RedisRoomStoreError `WS_ROOMS_REDIS_UNAVAILABLE`, naming the URL (password hidden) and
   * the last connection error
   */
  async waitUntilReady(): Promise<void> {
    const connections = [this.pub, this.sub];
    let lastError: unknown;
    const onError = (error: unknown) => (lastError = error);
    for (const connection of connections) connection.on('error', onError);
    try {
      await bounded(
        Promise.all(
          connections.map((connection) => {
            if (connection.status === 'ready') return undefined;
            const ready = new Promise<void>((resolve) => connection.once('ready', () => resolve()));
            // connect() rejects on the first failed attempt while ioredis keeps retrying: wait for 'ready'.
            if (connection.status === 'wait') connection.connect().catch(onError);
            return ready;
          }),
        ),
        this.options.connectTimeout,
      );
    } catch {
      const { url, connectTimeout } = this.options;
      const { cluster } = this.options;
      const where =
        url !== undefined
          ? redactUrl(url)
          : cluster !== undefined
            ? `the cluster of ${cluster.nodes.map((node) => `${node.host}:${node.port}`).join(', ')}`
            : 'the given client';
      const why =
        lastError === undefined
          ? ''
          : `: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
      throw new RedisRoomStoreError(
        RedisRoomStoreErrorCode.Unavailable,
        `ws-rooms: Redis at ${where} is not reachable (not ready within connectTimeout ` +
          `${connectTimeout} ms)${why}`,
        { cause: lastError },
      );
    } finally {
      for (const connection of connections) connection.off('error', onError);
    }
  }

  /** Closes what the store opened; the caller's client only loses the store's listeners. */
  release(): void {
    for (const off of this.detach.splice(0)) off();
    for (const connection of this.owned) {
      // A late socket error after disconnect() must still find a listener.
      connection.on('error', () => undefined);
      connection.disconnect();
    }
  }

  /** The connections the store opened (the subscriber always; the publisher unless it is the caller's). */
  private get owned(): RedisClient[] {
    return this.options.client === undefined ? [this.pub, this.sub] : [this.sub];
  }

  private listen(
    connection: RedisClient,
    event: string,
    listener: (...args: unknown[]) => void,
  ): void {
    connection.on(event, listener);
    this.detach.push(() => connection.off(event, listener));
  }
}

/** The URL with its password hidden, for an error message. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the configured URL';
  }
}
