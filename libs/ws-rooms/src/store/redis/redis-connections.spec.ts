import { EventEmitter } from 'node:events';
import type { RedisClient, RedisConnectionOptions } from './redis-client';
import { RedisConnections, redactUrl } from './redis-connections';
import { RedisRoomStoreErrorCode } from './redis-room-store.error';
import { resolveRedisStoreOptions } from './redis-store-options';

/** A connection that becomes ready when told to, or fails each attempt. */
class Connection extends EventEmitter {
  status = 'wait';
  failWith: Error | null = null;
  disconnected = false;
  readonly duplicates: Connection[] = [];

  constructor(readonly options: RedisConnectionOptions) {
    super();
  }
  duplicate(options: RedisConnectionOptions): Connection {
    const copy = new Connection(options);
    this.duplicates.push(copy);
    return copy;
  }
  async connect(): Promise<void> {
    if (this.failWith !== null) {
      this.emit('error', this.failWith);
      throw this.failWith;
    }
    this.status = 'ready';
    this.emit('ready');
  }
  disconnect(): void {
    this.disconnected = true;
  }
}

const opened: Connection[] = [];
const RedisClass = class extends Connection {
  constructor(_url: string, options: RedisConnectionOptions) {
    super(options);
    opened.push(this);
  }
} as unknown as new (url: string, options: RedisConnectionOptions) => RedisClient;

const events = () => ({
  message: () => undefined,
  error: () => undefined,
  lost: () => undefined,
  ready: () => undefined,
  end: () => undefined,
});

describe('RedisConnections', () => {
  afterEach(() => void opened.splice(0));

  it('opens a publisher from the URL and a subscriber beside it, named after the node', async () => {
    const options = resolveRedisStoreOptions({ url: 'redis://h:1', keyPrefix: 'p', nodeId: 'n' });
    const connections = new RedisConnections(options, RedisClass, events());
    const pub = opened[0];
    expect(pub.options).toMatchObject({
      lazyConnect: true,
      enableOfflineQueue: false,
      connectionName: 'p:n:pub',
    });
    expect(pub.duplicates[0].options).toMatchObject({
      autoResubscribe: false,
      connectionName: 'p:n:sub',
    });
    await connections.waitUntilReady();
    expect(connections.bothReady).toBe(true);
    connections.release();
    expect(pub.disconnected && pub.duplicates[0].disconnected).toBe(true);
    expect(pub.listenerCount('ready')).toBe(0);
  });

  it("leaves the caller's client open and without the store's listeners on release", async () => {
    const client = new Connection({});
    const before = client.listenerCount('error');
    const options = resolveRedisStoreOptions({ client: client as unknown as RedisClient });
    const connections = new RedisConnections(options, null, events());
    expect(client.listenerCount('error')).toBe(before); // its error handling stays the caller's
    connections.release();
    expect(client.disconnected).toBe(false);
    expect(client.duplicates[0].disconnected).toBe(true);
    expect(client.listenerCount('close') + client.listenerCount('ready')).toBe(0);
  });

  it('fails within connectTimeout with WS_ROOMS_REDIS_UNAVAILABLE, the password hidden', async () => {
    const options = resolveRedisStoreOptions({
      url: 'redis://user:secret@h:1',
      connectTimeout: 30,
    });
    const connections = new RedisConnections(options, RedisClass, events());
    opened[0].failWith = new Error('connect ECONNREFUSED');
    const started = Date.now();
    const failure = await connections.waitUntilReady().catch((error: unknown) => error);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(failure).toMatchObject({
      code: RedisRoomStoreErrorCode.Unavailable,
      message: expect.stringContaining('redis://user:***@h:1'),
    });
    expect((failure as Error).message).toContain('connect ECONNREFUSED');
    expect((failure as Error).message).not.toContain('secret');
  });
});

describe('redactUrl', () => {
  it('hides the password only, and never echoes a URL it cannot parse', () => {
    expect(redactUrl('redis://u:p@h:6379/1')).toBe('redis://u:***@h:6379/1');
    expect(redactUrl('redis://h:6379')).toBe('redis://h:6379');
    expect(redactUrl('not a url :secret')).toBe('the configured URL');
  });
});

describe('RedisConnections on a Redis Cluster', () => {
  const options = resolveRedisStoreOptions({
    cluster: { nodes: [{ host: '127.0.0.1', port: 7000 }] },
    connectTimeout: 200,
  });

  it('uses the one cluster connection to publish and to subscribe, and names the nodes when unreachable', async () => {
    const cluster = new Connection({});
    // The cluster client answers duplicate() with itself: ioredis keeps a subscriber per master.
    cluster.duplicate = () => cluster;
    cluster.failWith = new Error('ECONNREFUSED');
    const connections = new RedisConnections(
      options,
      null,
      events(),
      () => cluster as unknown as RedisClient,
    );
    expect(connections.pub).toBe(cluster);
    expect(connections.sub).toBe(cluster);
    await expect(connections.waitUntilReady()).rejects.toMatchObject({
      code: RedisRoomStoreErrorCode.Unavailable,
      message: expect.stringContaining('the cluster of 127.0.0.1:7000'),
    });
    connections.release();
    expect(cluster.disconnected).toBe(true);
  });
});
