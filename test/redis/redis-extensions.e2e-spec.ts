/**
 * Presence and recovery across nodes, with a real redis-server and the modern client in Node:
 * presence lists and changes that span nodes, members of a node that dies removed (and announced),
 * a frozen node's members recorded again when it comes back, and a client that resumes its session
 * on another node than the one it lost, with every missed room message exactly once and in order.
 * A TCP forwarder stands in for the load balancer, so that the client reconnects to the same URL.
 */
import Redis from 'ioredis';
import WebSocket from 'ws';
import { ConnectionsService, RedisRoomStore, RoomsService, type WsConnection } from 'ws-rooms';
import { type PresenceChange, WsRoomsClient, type WsRoomsClientOptions } from 'ws-rooms/client';
import { eventually, ProtocolClient } from '../support/protocol-client';
import { collect, nextPresence, nextRecovery, WAIT_MS } from '../support/modern-client-waits';
import { type RunningApp, startApp } from '../support/test-app';
import { eventuallyAsync } from '../shared/room-semantics.suite';
import { extensionsModule, type ExtensionsRecovery } from './fixtures/extensions-module';
import { type ChildNode, startChildNode } from './support/child-node';
import { type RedisServer, startRedisServer } from './support/redis-server';
import { startSwitchingProxy, type SwitchingProxy } from '../support/switching-proxy';

/** Short heartbeats: a dead node is noticed within about a second. */
const FAST_HEARTBEAT = { heartbeatInterval: 100, heartbeatTtl: 600, requestTimeout: 1000 };

let redis: RedisServer;
let prefixes = 0;

beforeAll(async () => {
  redis = await startRedisServer();
});

afterAll(async () => {
  await redis?.kill();
});

/** A cluster of in-process nodes on one fresh prefix, and the clients of the current test. */
class ExtensionsCluster {
  private readonly clients: WsRoomsClient[] = [];

  private constructor(
    readonly prefix: string,
    readonly nodes: RunningApp[],
  ) {}

  static async start(count: number, recovery?: ExtensionsRecovery): Promise<ExtensionsCluster> {
    const prefix = `ext${++prefixes}`;
    const nodes: RunningApp[] = [];
    for (let i = 0; i < count; i++) {
      const store = new RedisRoomStore({
        url: redis.url,
        prefix,
        nodeId: `${prefix}-node${i}`,
        ...FAST_HEARTBEAT,
      });
      nodes.push(await startApp({ imports: [extensionsModule(store, recovery)] }));
    }
    return new ExtensionsCluster(prefix, nodes);
  }

  client(url: string, name: string, options: WsRoomsClientOptions = {}): WsRoomsClient {
    const client = new WsRoomsClient(`${url}?name=${name}`, { WebSocket, ...options });
    this.clients.push(client);
    return client;
  }

  on(node: number, name: string, options: WsRoomsClientOptions = {}): WsRoomsClient {
    return this.client(this.nodes[node].wsUrl('/ws'), name, options);
  }

  rooms(node: number): RoomsService {
    return this.nodes[node].app.get(RoomsService);
  }

  connections(node: number): ConnectionsService {
    return this.nodes[node].app.get(ConnectionsService);
  }

  /** The server-side connection of the client named `name` on a node. */
  connectionNamed(node: number, name: string): WsConnection {
    const found = [...this.connections(node)].find(
      (c) => (c.principal as { name?: string }).name === name,
    );
    if (found === undefined) throw new Error(`no connection named ${name} on node ${node}`);
    return found;
  }

  async closeClients(): Promise<void> {
    for (const client of this.clients.splice(0)) client.close();
    await eventually(
      () => this.nodes.every((node) => node.app.get(ConnectionsService).count === 0),
      WAIT_MS,
      'every connection to end',
    );
  }

  async close(): Promise<void> {
    await this.closeClients();
    await Promise.all(this.nodes.map((node) => node.close()));
  }
}

const namesOf = (members: readonly { meta: Readonly<Record<string, unknown>> }[]) =>
  members.map((member) => member.meta.name);

describe('presence across nodes (Redis)', () => {
  let cluster: ExtensionsCluster;
  let child: ChildNode | undefined;

  beforeAll(async () => {
    cluster = await ExtensionsCluster.start(2);
  });
  afterEach(async () => {
    await child?.kill();
    child = undefined;
    await cluster.closeClients();
  });
  afterAll(async () => cluster.close());

  it('lists members of every node, in join order, and tells each room of joins and leaves', async () => {
    const alice = cluster.on(0, 'alice');
    const aliceList = nextPresence(alice, (c) => c.type === 'members', 'alice list');
    await alice.request('join', 'p-lobby');
    const aliceFirst = (await aliceList) as Extract<PresenceChange, { type: 'members' }>;
    expect(namesOf(aliceFirst.members)).toEqual(['alice']);

    const bob = cluster.on(1, 'bob');
    const bobJoined = nextPresence(alice, (c) => c.type === 'joined', 'bob joined (node 1)');
    const bobList = nextPresence(bob, (c) => c.type === 'members', 'bob list');
    await bob.request('join', 'p-lobby');
    const joined = (await bobJoined) as Extract<PresenceChange, { type: 'joined' }>;
    expect(joined.member.meta).toEqual({ name: 'bob' });
    const list = (await bobList) as Extract<PresenceChange, { type: 'members' }>;
    expect(namesOf(list.members)).toEqual(['alice', 'bob']);
    // One version sequence for the room, whichever node made the change.
    expect(list.version).toBe(joined.version);
    expect(joined.version).toBeGreaterThan(1);

    for (const node of [0, 1]) {
      const detailed = await cluster.rooms(node).presenceDetailed('p-lobby');
      expect(detailed.partial).toBe(false);
      expect(namesOf(detailed.value)).toEqual(['alice', 'bob']);
    }
    expect(namesOf(alice.presence('p-lobby'))).toEqual(['alice', 'bob']);
    expect(namesOf(bob.presence('p-lobby'))).toEqual(['alice', 'bob']);

    const bobLeft = nextPresence(alice, (c) => c.type === 'left', 'bob left');
    await bob.request('leave', 'p-lobby');
    expect(await bobLeft).toMatchObject({ type: 'left', id: joined.member.id });
    expect(namesOf(await cluster.rooms(0).presence('p-lobby'))).toEqual(['alice']);
    expect(namesOf(alice.presence('p-lobby'))).toEqual(['alice']);

    const bobBack = nextPresence(alice, (c) => c.type === 'joined', 'bob back');
    await bob.request('join', 'p-lobby');
    await bobBack;
    const aliceLeft = nextPresence(bob, (c) => c.type === 'left', 'alice closed');
    alice.close();
    await aliceLeft;
    expect(namesOf(await cluster.rooms(0).presence('p-lobby'))).toEqual(['bob']);
    expect(namesOf(bob.presence('p-lobby'))).toEqual(['bob']);
  });

  it('keeps every view equal to the cluster list under concurrent joins and leaves on both nodes', async () => {
    const watcher = cluster.on(0, 'watcher');
    await watcher.request('join', 'p-busy');
    const members = Array.from({ length: 8 }, (_, i) => cluster.on(i % 2, `m${i}`));
    // Joins and leaves from both nodes at once: changes reach each view in different orders.
    await Promise.all(members.map((member) => member.request('join', 'p-busy')));
    await Promise.all(members.slice(0, 4).map((member) => member.request('leave', 'p-busy')));
    const expected = ['watcher', 'm4', 'm5', 'm6', 'm7'];
    expect(namesOf(await cluster.rooms(1).presence('p-busy')).sort()).toEqual([...expected].sort());
    for (const view of [watcher, ...members.slice(4)]) {
      await eventually(
        () =>
          JSON.stringify(namesOf(view.presence('p-busy')).sort()) ===
          JSON.stringify([...expected].sort()),
        WAIT_MS,
        'a view equal to the cluster list',
      );
    }
    for (const leaver of members.slice(0, 4)) expect(leaver.presence('p-busy')).toEqual([]);
  });

  it('removes the members of a node that dies, and tells the room', async () => {
    child = await startChildNode(
      {
        url: redis.url,
        prefix: cluster.prefix,
        nodeId: `${cluster.prefix}-child`,
        ...FAST_HEARTBEAT,
      },
      30_000,
      'extensions',
    );
    const alice = cluster.on(0, 'alice');
    await alice.request('join', 'p-crash');
    const carol = cluster.client(child.wsUrl('/ws'), 'carol', { reconnect: false });
    const carolJoined = nextPresence(alice, (c) => c.type === 'joined', 'carol joined');
    await carol.request('join', 'p-crash');
    const carolId = ((await carolJoined) as Extract<PresenceChange, { type: 'joined' }>).member.id;
    expect(namesOf(await cluster.rooms(1).presence('p-crash'))).toEqual(['alice', 'carol']);

    const carolLeft = nextPresence(alice, (c) => c.type === 'left', 'carol removed');
    const killedAt = Date.now();
    await child.kill();
    child = undefined;
    expect(await carolLeft).toMatchObject({ type: 'left', room: 'p-crash', id: carolId });
    // Within the heartbeat TTL (600 ms) plus a heartbeat interval and the removal itself.
    expect(Date.now() - killedAt).toBeLessThan(3000);
    for (const node of [0, 1]) {
      const detailed = await cluster.rooms(node).presenceDetailed('p-crash');
      expect({ names: namesOf(detailed.value), partial: detailed.partial }).toEqual({
        names: ['alice'],
        partial: false,
      });
    }
    expect(namesOf(alice.presence('p-crash'))).toEqual(['alice']);
    // Removed once, by one node, although both noticed the death.
    const redisClient = new Redis(redis.url);
    try {
      expect(await redisClient.hkeys(`${cluster.prefix}:presence:p-crash`)).toHaveLength(1);
      expect(
        await redisClient.exists(`${cluster.prefix}:presence-rooms:${cluster.prefix}-child`),
      ).toBe(0);
    } finally {
      redisClient.disconnect();
    }
  });

  it("records a frozen node's members again when it comes back", async () => {
    child = await startChildNode(
      {
        url: redis.url,
        prefix: cluster.prefix,
        nodeId: `${cluster.prefix}-frozen`,
        ...FAST_HEARTBEAT,
      },
      30_000,
      'extensions',
    );
    const alice = cluster.on(0, 'alice');
    await alice.request('join', 'p-freeze');
    const dave = cluster.client(child.wsUrl('/ws'), 'dave', { reconnect: false });
    const daveJoined = nextPresence(alice, (c) => c.type === 'joined', 'dave joined');
    await dave.request('join', 'p-freeze');
    await daveJoined;

    const daveLeft = nextPresence(alice, (c) => c.type === 'left', 'dave taken for dead');
    child.freeze();
    await daveLeft;
    expect(namesOf(await cluster.rooms(0).presence('p-freeze'))).toEqual(['alice']);

    const daveBack = nextPresence(alice, (c) => c.type === 'joined', 'dave recorded again');
    child.thaw();
    expect(await daveBack).toMatchObject({ type: 'joined', member: { meta: { name: 'dave' } } });
    await eventuallyAsync(
      async () => namesOf(await cluster.rooms(1).presence('p-freeze')).includes('dave'),
      WAIT_MS,
      'dave listed again',
    );
    expect(namesOf(alice.presence('p-freeze')).sort()).toEqual(['alice', 'dave']);
  });
});

describe('broadcast requests across nodes (Redis)', () => {
  let cluster: ExtensionsCluster;
  let silent: ProtocolClient | undefined;

  beforeAll(async () => {
    cluster = await ExtensionsCluster.start(2);
  });
  afterEach(async () => {
    await silent?.close();
    silent = undefined;
    await cluster.closeClients();
  });
  afterAll(async () => cluster.close());

  it('collects replies, errors and silences from the members of every node', async () => {
    const alice = cluster.on(0, 'alice');
    alice.onRequest('vote', (question) => `alice says yes to ${String(question)}`);
    const bob = cluster.on(1, 'bob');
    bob.onRequest('vote', (question) => Uint8Array.from(Buffer.from(`bob: ${String(question)}`)));
    const dora = cluster.on(1, 'dora');
    dora.onRequest('vote', () => {
      throw new Error('dora refuses');
    });
    const notInPoll = cluster.on(1, 'eve');
    notInPoll.onRequest('vote', () => 'eve should not be asked');
    for (const member of [alice, bob, dora]) await member.request('join', 'poll');
    await notInPoll.request('join', 'elsewhere');
    silent = await ProtocolClient.connect(cluster.nodes[1].wsUrl('/ws?name=silent'));
    silent.emit('join', 'poll');
    await silent.nextEvent('join');
    const ids = Object.fromEntries(
      ['bob', 'dora', 'silent'].map((name) => [name, cluster.connectionNamed(1, name).id]),
    );
    const aliceId = cluster.connectionNamed(0, 'alice').id;

    const started = Date.now();
    const result = await cluster.rooms(0).to('poll').request('vote', 'lunch', { timeout: 400 });
    expect(result.partial).toBe(false);
    expect(result.replies.get(aliceId)).toBe('alice says yes to lunch');
    expect(Buffer.from(result.replies.get(ids.bob) as Uint8Array).toString()).toBe('bob: lunch');
    expect([...result.replies.keys()].sort()).toEqual([aliceId, ids.bob].sort());
    expect(result.errors.get(ids.dora)).toMatchObject({ message: expect.stringContaining('dora') });
    expect(result.missing).toEqual([ids.silent]);
    // The silent member's timeout (400 ms), not the store's margin on top of it.
    expect(Date.now() - started).toBeLessThan(1400);
  });
});

describe('recovery across nodes (Redis Streams)', () => {
  let cluster: ExtensionsCluster;
  let proxy: SwitchingProxy;
  let senders: ProtocolClient[] = [];

  beforeAll(async () => {
    cluster = await ExtensionsCluster.start(2, { windowMs: 10_000, maxMessages: 20 });
    proxy = await startSwitchingProxy(cluster.nodes[0].port);
  });
  afterEach(async () => {
    await Promise.all(senders.map((sender) => sender.close()));
    senders = [];
    await cluster.closeClients();
    proxy.target = cluster.nodes[0].port;
  });
  afterAll(async () => {
    await proxy.close();
    await cluster.close();
  });

  /** A raw client on a node that says things to rooms. */
  async function sender(node: number): Promise<ProtocolClient> {
    const client = await ProtocolClient.connect(cluster.nodes[node].wsUrl('/ws?name=sender'));
    senders.push(client);
    return client;
  }

  async function say(from: ProtocolClient, room: string, text: string): Promise<void> {
    from.send('say', 4, JSON.stringify({ room, text }));
    await from.nextEvent('say');
  }

  const recovering = (name: string) =>
    cluster.client(`ws://127.0.0.1:${proxy.port}/ws`, name, {
      recovery: true,
      reconnect: { initialDelay: 200, jitter: false },
    });

  it('resumes on another node: same id and rooms, missed messages once and in order', async () => {
    const client = recovering('alice');
    const first = await nextRecovery(client);
    expect(first.status).toBe('fresh');
    const id = client.id!;
    await client.request('join', 'news');
    const said = collect(client, 'said');
    const fromNode0 = await sender(0);
    const fromNode1 = await sender(1);
    await say(fromNode0, 'news', 'm1');
    await say(fromNode1, 'news', 'm2');
    await eventually(() => said.length === 2, WAIT_MS, 'm1 and m2');

    // The balancer now sends new connections to node 1; node 0 loses the client.
    proxy.target = cluster.nodes[1].port;
    const recovery = nextRecovery(client);
    (cluster.connections(0).get(id) as unknown as { ws: WebSocket }).ws.terminate();
    // Said while the client is away, from both nodes.
    await say(fromNode0, 'news', 'm3');
    await say(fromNode1, 'news', 'm4');
    await say(fromNode0, 'elsewhere', 'not for alice');
    await say(fromNode1, 'news', 'm5');

    expect(await recovery).toMatchObject({ status: 'recovered', recovered: true, id });
    expect(proxy.forwarded.get(cluster.nodes[1].port)).toBe(1);
    expect(cluster.connections(1).has(id)).toBe(true);
    expect(cluster.connections(0).has(id)).toBe(false);
    expect(client.id).toBe(id);
    await say(fromNode0, 'news', 'm6');
    await eventually(() => said.length >= 6, WAIT_MS, 'the replay and m6');
    expect(said).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    expect(await cluster.rooms(0).roomsOf(id)).toEqual(['news']);
  });

  it('resumes on another node after its node shut down gracefully (a rolling restart)', async () => {
    const leaving = await startApp({
      imports: [
        extensionsModule(
          new RedisRoomStore({
            url: redis.url,
            prefix: cluster.prefix,
            nodeId: `${cluster.prefix}-leaving`,
            ...FAST_HEARTBEAT,
          }),
          { windowMs: 10_000, maxMessages: 20 },
        ),
      ],
    });
    try {
      proxy.target = leaving.port;
      const client = recovering('frank');
      await nextRecovery(client);
      const id = client.id!;
      await client.request('join', 'deploys');
      const said = collect(client, 'said');
      const fromNode1 = await sender(1);
      await say(fromNode1, 'deploys', 'before');
      await eventually(() => said.length === 1, WAIT_MS, 'before');

      proxy.target = cluster.nodes[1].port;
      const recovery = nextRecovery(client);
      const closing = leaving.close(); // 1001 to every client
      await say(fromNode1, 'deploys', 'during');
      await closing;
      expect(await recovery).toMatchObject({ status: 'recovered', id });
      await say(fromNode1, 'deploys', 'after');
      await eventually(() => said.length >= 3, WAIT_MS, 'during and after');
      expect(said).toEqual(['before', 'during', 'after']);
    } finally {
      await leaving.close();
    }
  });

  it('delivers, late but in order, what a node missed while its subscriber reconnected', async () => {
    // This node waits 400 ms before reconnecting to Redis: broadcasts are published meanwhile.
    const store = new RedisRoomStore({
      url: redis.url,
      prefix: cluster.prefix,
      nodeId: `${cluster.prefix}-slow`,
      ...FAST_HEARTBEAT,
      redisOptions: { retryStrategy: () => 400 },
    });
    const slow = await startApp({
      imports: [extensionsModule(store, { windowMs: 10_000, maxMessages: 20 })],
    });
    const admin = new Redis(redis.url);
    try {
      const listener = await ProtocolClient.connect(slow.wsUrl('/ws?name=listener'));
      senders.push(listener);
      listener.emit('join', 'live');
      await listener.nextEvent('join');
      const fromNode1 = await sender(1);
      await say(fromNode1, 'live', 'l1');
      await listener.nextEvent('said');

      const clients = (await admin.call('CLIENT', 'LIST')) as string;
      const subscriber = clients
        .split('\n')
        .find((line) => line.includes(`name=${cluster.prefix}:${cluster.prefix}-slow:sub`));
      expect(subscriber).toBeDefined();
      const id = /\bid=(\d+)/.exec(subscriber!)![1];
      await admin.call('CLIENT', 'KILL', 'ID', id);
      for (const text of ['l2', 'l3', 'l4']) await say(fromNode1, 'live', text);
      await eventually(() => listener.eventsNamed('said').length === 4, WAIT_MS, 'l2 to l4');
      expect(listener.eventsNamed('said').map((m) => m.payload)).toEqual(['l1', 'l2', 'l3', 'l4']);
      expect(store.stats.logCaughtUp).toBe(3);
      expect(store.stats.logGaps).toBe(0);
    } finally {
      admin.disconnect();
      await slow.close();
    }
  });

  it('takes a session over from the node that still holds it after a cut it did not notice', async () => {
    const client = recovering('gina');
    await nextRecovery(client);
    const id = client.id!;
    await client.request('join', 'cut');
    const said = collect(client, 'said');
    const fromNode1 = await sender(1);
    await say(fromNode1, 'cut', 'c1');
    await eventually(() => said.length === 1, WAIT_MS, 'c1');

    proxy.target = cluster.nodes[1].port;
    const recovery = nextRecovery(client);
    proxy.cutClients();
    // Node 0 still holds the connection: c2 goes to it and is lost there, but it is in the log.
    await say(fromNode1, 'cut', 'c2');
    expect(cluster.connections(0).has(id)).toBe(true);

    expect(await recovery).toMatchObject({ status: 'recovered', id });
    expect(cluster.connections(0).has(id)).toBe(false);
    expect(cluster.connections(1).has(id)).toBe(true);
    await say(fromNode1, 'cut', 'c3');
    await eventually(() => said.length === 3, WAIT_MS, 'c2 and c3');
    expect(said).toEqual(['c1', 'c2', 'c3']);
  });

  it('does not replay, on another node, what a room said before the client joined it', async () => {
    const client = recovering('hana');
    await nextRecovery(client);
    const id = client.id!;
    await client.request('join', 'open');
    const said = collect(client, 'said');
    const fromNode1 = await sender(1);
    await say(fromNode1, 'open', 'open-0');
    await eventually(() => said.length === 1, WAIT_MS, 'open-0');
    // A member on the client's node: once it has `vault-before`, that node has delivered it, so the
    // client's join comes after it in the order the client's node sees (say() answers before the
    // logged broadcast comes back from Redis).
    const witness = await ProtocolClient.connect(cluster.nodes[0].wsUrl('/ws?name=witness'));
    senders.push(witness);
    witness.emit('join', 'vault');
    await witness.nextEvent('join');
    await say(fromNode1, 'vault', 'vault-before');
    await witness.next((m) => m.event === 'said' && m.payload === 'vault-before');
    await client.request('join', 'vault');

    proxy.target = cluster.nodes[1].port;
    const recovery = nextRecovery(client);
    (cluster.connections(0).get(id) as unknown as { ws: WebSocket }).ws.terminate();
    await say(fromNode1, 'vault', 'vault-missed');
    expect(await recovery).toMatchObject({ status: 'recovered', id });
    await say(fromNode1, 'vault', 'vault-live');
    await eventually(() => said.includes('vault-live'), WAIT_MS, 'the replay and vault-live');
    expect(said).toEqual(['open-0', 'vault-missed', 'vault-live']);
  });

  it('signals history-gone when more was said than the log keeps', async () => {
    const client = recovering('bob');
    await nextRecovery(client);
    const id = client.id!;
    await client.request('join', 'flood');
    const fromNode1 = await sender(1);
    proxy.target = cluster.nodes[1].port;
    const recovery = nextRecovery(client);
    (cluster.connections(0).get(id) as unknown as { ws: WebSocket }).ws.terminate();
    for (let i = 0; i < 25; i++) await say(fromNode1, 'flood', `f${i}`);
    const result = await recovery;
    expect(result).toMatchObject({ status: 'failed', reason: 'history-gone', previousId: id });
    expect(client.id).not.toBe(id);
    expect(await cluster.rooms(1).roomsOf(client.id!)).toEqual([]);
  });

  it('gives a session back once, and only to its owner', async () => {
    const client = cluster.client(`ws://127.0.0.1:${proxy.port}/ws`, 'carol', {
      recovery: true,
      reconnect: { initialDelay: 1500, jitter: false },
    });
    await nextRecovery(client);
    const id = client.id!;
    // The client's recovery state lives in its greeting part (client/connection-greeting.ts).
    const token = (client as unknown as { greeting: { session: { token: string } } }).greeting
      .session.token;
    const attempt = async (node: number, name: string) => {
      const raw = await ProtocolClient.connect(
        cluster.nodes[node].wsUrl(
          `/ws?name=${name}&ws-rooms-recovery=1&ws-rooms-session=${token}&ws-rooms-offset=0`,
        ),
      );
      senders.push(raw);
      return JSON.parse((await raw.nextEvent('ws-rooms:session')).payload!) as {
        id: string;
        recovered: boolean;
        reason?: string;
      };
    };
    proxy.target = cluster.nodes[1].port;
    const recovery = nextRecovery(client);
    (cluster.connections(0).get(id) as unknown as { ws: WebSocket }).ws.terminate();
    const redisClient = new Redis(redis.url);
    try {
      await eventuallyAsync(
        async () => (await redisClient.exists(`${cluster.prefix}:session:${token}`)) === 1,
        WAIT_MS,
        'the session kept in Redis',
      );
    } finally {
      redisClient.disconnect();
    }
    // Another principal with the token: refused as unknown, and the session stays for its owner.
    const stolen = await attempt(1, 'mallory');
    expect(stolen).toMatchObject({ recovered: false, reason: 'unknown-session' });
    expect(stolen.id).not.toBe(id);
    expect(await recovery).toMatchObject({ status: 'recovered', id });
    // Taken once: the same token again, on the other node, is unknown.
    expect(await attempt(0, 'carol')).toMatchObject({
      recovered: false,
      reason: 'unknown-session',
    });
  });

  it('numbers logged broadcasts once for the cluster: every node delivers them in one order', async () => {
    const listener = await ProtocolClient.connect(
      cluster.nodes[0].wsUrl('/ws?name=listener&ws-rooms-recovery=1'),
    );
    senders.push(listener);
    const session = JSON.parse((await listener.nextEvent('ws-rooms:session')).payload!) as {
      offset: number;
    };
    listener.emit('join', 'ordered');
    await listener.nextEvent('join');
    const [fromNode0, fromNode1] = [await sender(0), await sender(1)];
    for (let i = 0; i < 20; i++) {
      fromNode0.send('say', 4, JSON.stringify({ room: 'ordered', text: `a${i}` }));
      fromNode1.send('say', 4, JSON.stringify({ room: 'ordered', text: `b${i}` }));
    }
    await eventually(
      () => listener.eventsNamed('ws-rooms:m').length === 40,
      WAIT_MS,
      '40 wrapped messages',
    );
    const offsets = listener
      .eventsNamed('ws-rooms:m')
      .map((message) => Number(message.payload!.split(';', 1)[0]));
    expect(offsets[0]).toBeGreaterThan(session.offset);
    for (let i = 1; i < offsets.length; i++) expect(offsets[i]).toBeGreaterThan(offsets[i - 1]);
    const redisClient = new Redis(redis.url);
    try {
      expect(Number(await redisClient.get(`${cluster.prefix}:log-offset`))).toBe(
        offsets[offsets.length - 1],
      );
      // The log is bounded by maxMessages (20).
      expect(await redisClient.xlen(`${cluster.prefix}:log`)).toBeLessThanOrEqual(20);
    } finally {
      redisClient.disconnect();
    }
  });
});
