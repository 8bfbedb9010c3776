import { EventEmitter } from 'node:events';
import { keySlot } from './cluster-slot';
import { RedisKeys } from './redis-keys';
import { type ClusterConnection, ShardedClient, shardChannelsOf } from './sharded-client';
import { decodeEnvelope } from './sharded-envelope';

const keys = new RedisKeys('app', true);

/** Three masters splitting the slots as `redis-cli --cluster create` does. */
function threeMasters(): (string[] | undefined)[] {
  return Array.from({ length: 16384 }, (_, slot) =>
    slot <= 5460 ? ['m1:1'] : slot <= 10922 ? ['m2:2'] : ['m3:3', 'replica:4'],
  );
}

/**
 * A stand-in for ioredis' Cluster that records the sharded commands (the e2e suites run the real
 * one): what is checked here is how the client shapes them.
 */
class RecordingCluster extends EventEmitter {
  status = 'ready';
  slots: (string[] | undefined)[] = threeMasters();
  readonly published: [string, Buffer][] = [];
  readonly subscribed: string[][] = [];
  spublish(channel: string, message: Buffer): Promise<number> {
    this.published.push([channel, message]);
    return Promise.resolve(1);
  }
  ssubscribe(...channels: string[]): Promise<unknown> {
    this.subscribed.push(channels);
    return Promise.resolve(channels.length);
  }
  sunsubscribe(...channels: string[]): Promise<unknown> {
    return Promise.resolve(channels.length);
  }
}

function setup() {
  const cluster = new RecordingCluster();
  const failures: string[] = [];
  let malformed = 0;
  const client = new ShardedClient(cluster as unknown as ClusterConnection, keys, 100, 1 << 20, {
    malformed: () => malformed++,
    fenceTimedOut: () => failures.push('fence timed out'),
    failure: (kind, message) => failures.push(`${kind}: ${message}`),
  });
  const received: string[] = [];
  client.on('messageBuffer', (channel: Buffer, body: Buffer) =>
    received.push(`${channel.toString()} ${body.toString()}`),
  );
  return { cluster, client, received, failures, malformed: () => malformed };
}

describe('shardChannelsOf', () => {
  it('finds one channel per master, each in a slot that master serves', () => {
    const slots = threeMasters();
    const channels = shardChannelsOf(slots, (k) => keys.allShard(k));
    expect(channels).toHaveLength(3);
    expect(channels.map((name) => slots[keySlot(name)]![0])).toEqual(['m1:1', 'm2:2', 'm3:3']);
    // Every node computes the same list from the same layout.
    expect(shardChannelsOf(threeMasters(), (k) => keys.allShard(k))).toEqual(channels);
  });

  it('gives none before the layout is known', () => {
    expect(shardChannelsOf([], (k) => keys.allShard(k))).toEqual([]);
  });
});

describe('ShardedClient', () => {
  it('publishes a room broadcast once, in an ordered envelope, on its own channel', async () => {
    const { cluster, client } = setup();
    expect(await client.publish(keys.room('lobby'), Buffer.from('W...'))).toBe(1);
    expect(cluster.published).toHaveLength(1);
    const [channel, data] = cluster.published[0];
    expect(channel).toBe(keys.room('lobby'));
    expect(decodeEnvelope(data)).toMatchObject({ ordered: true, fence: false, copies: 1 });
  });

  it('sends queries and answers unordered', async () => {
    const { cluster, client } = setup();
    await client.publish(keys.requests, 'q');
    await client.publish(keys.replies('n1'), 'r');
    expect(cluster.published.map(([, data]) => decodeEnvelope(data)?.ordered)).toEqual([
      false,
      false,
    ]);
  });

  it('publishes a node-wide broadcast as one body and a fence per other shard, the body in turn', async () => {
    const { cluster, client } = setup();
    await client.publish(keys.all, 'first');
    await client.publish(keys.all, 'second');
    const shards = client.shards();
    expect(cluster.published.map(([channel]) => channel)).toEqual([...shards, ...shards]);
    const decoded = cluster.published.map(([, data]) => decodeEnvelope(data)!);
    expect(decoded.map((envelope) => envelope.fence)).toEqual([
      false,
      true,
      true,
      true,
      false,
      true,
    ]);
    expect(new Set(decoded.slice(0, 3).map((envelope) => envelope.sequence)).size).toBe(1);
    expect(decoded.every((envelope) => envelope.copies === 3)).toBe(true);
  });

  it('subscribes one command per slot, the node-wide channel standing for every shard channel', async () => {
    const { cluster, client } = setup();
    await client.subscribe(keys.all, keys.room('a'), keys.room('b'), keys.room('a'));
    const flat = cluster.subscribed.flat();
    expect(flat).toEqual(expect.arrayContaining([...client.shards(), keys.room('a')]));
    for (const group of cluster.subscribed) {
      expect(new Set(group.map((channel) => keySlot(channel))).size).toBe(1);
    }
  });

  it('hands received messages on in order, drops its own fences and counts what is not an envelope', async () => {
    const { cluster, client, received, malformed } = setup();
    await client.publish(keys.all, 'mine');
    // Its own copies come back: the body is handed on (the store drops its echo), fences are not.
    for (const [channel, data] of cluster.published) {
      cluster.emit('smessageBuffer', Buffer.from(channel), data);
    }
    expect(received).toEqual([`${cluster.published[0][0]} mine`]);
    cluster.emit('smessageBuffer', Buffer.from('x'), Buffer.from('not an envelope'));
    expect(malformed()).toBe(1);
  });

  it('follows a new layout: the shard channels change and the new ones are subscribed', async () => {
    const { cluster, client } = setup();
    await client.subscribe(keys.all);
    const before = client.shards();
    cluster.subscribed.length = 0;
    // A fourth master takes the upper half of the third one's slots.
    cluster.slots = threeMasters().map((nodes, slot) => (slot > 13_000 ? ['m4:4'] : nodes));
    cluster.emit('refresh');
    const after = client.shards();
    expect(after).toHaveLength(4);
    const added = after.filter((channel) => !before.includes(channel));
    expect(added.length).toBeGreaterThan(0);
    expect(cluster.subscribed.flat().sort()).toEqual([...added].sort());
    await client.publish(keys.all, 'to four');
    expect(cluster.published.map(([channel]) => channel)).toEqual(after);
    // The same layout again changes nothing.
    cluster.emit('refresh');
    expect(cluster.subscribed.flat().sort()).toEqual([...added].sort());
  });
});
