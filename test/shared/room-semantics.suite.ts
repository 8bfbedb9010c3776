/**
 * The room and broadcast semantics of docs/protocol.md, "Connections, rooms and targets", asserted against a cluster of
 * N apps that share one room store implementation. The same assertions run with the in-memory store
 * (N = 1, `test/rooms-memory.e2e-spec.ts`) and with the Redis store (N = 3,
 * `test/redis/redis-cluster.e2e-spec.ts`): a multi-node store must be indistinguishable from one node.
 *
 * Clients are spread over the nodes round-robin, so with N > 1 every assertion crosses nodes.
 * "Nobody else got it" is proven with a marker: after the message under test, the same sender
 * broadcasts a marker to everyone; one origin's broadcasts keep their order to every recipient (one
 * publisher connection, one subscriber connection per node), so once a client has the marker, it
 * would have had any earlier copy.
 */
import { Module, type Type } from '@nestjs/common';
import {
  All,
  ConnectedSocket,
  ConnectionsService,
  MessageBody,
  NotMe,
  OnEvent,
  type OnWsConnection,
  RoomsService,
  type RoomStore,
  type WsConnection,
  WsRoomsGateway,
  WsRoomsModule,
} from '../../libs/ws-rooms/src';
import { ProtocolClient } from '../support/protocol-client';
import { type RunningApp, startApp } from '../support/test-app';
import { RoomMembershipHandlers } from '../support/room-membership.handlers';

/** What `say` asks the server to do (see {@link SemanticsGateway.say}). */
export interface SayBody {
  /** Target rooms or ids, or `all` / `not-me`. */
  to: string[] | 'all' | 'not-me';
  except?: string[];
  text: string;
  /** Send the text as raw, non-UTF-8 bytes (type 3) instead of a string. */
  bytes?: boolean;
  /** Send a native message instead of an event. */
  native?: boolean;
}

/** The fixture gateway of every node of the suite (also used by the child-process node). */
@WsRoomsGateway()
export class SemanticsGateway extends RoomMembershipHandlers implements OnWsConnection {
  onWsConnection(connection: WsConnection): void {
    connection.emit('welcome', connection.id);
  }

  @OnEvent('say')
  say(@ConnectedSocket() connection: WsConnection, @MessageBody() body: SayBody): void {
    let operator =
      body.to === 'all'
        ? connection.to(All)
        : body.to === 'not-me'
          ? connection.to(NotMe)
          : connection.to(body.to[0]);
    if (Array.isArray(body.to)) for (const room of body.to.slice(1)) operator = operator.to(room);
    for (const room of body.except ?? []) operator = operator.except(room);
    if (body.native) operator.emitMessage(body.text);
    else if (body.bytes)
      operator.emit('said', Buffer.concat([Buffer.from([0xff, 0x00]), Buffer.from(body.text)]));
    else operator.emit('said', body.text);
  }
}

/** The fixture module of one node. */
export function semanticsModule(store: RoomStore | undefined): Type<unknown> {
  @Module({
    imports: [
      WsRoomsModule.forRoot({
        endpoint: '/ws',
        store,
        // Every client of the suite comes from 127.0.0.1, dozens within a second: not a flood.
        maxConnectionRatePerAddress: 0,
      }),
    ],
    providers: [SemanticsGateway],
  })
  class SemanticsNodeModule {}
  return SemanticsNodeModule;
}

/** One node of a test cluster. */
export interface ClusterNode {
  readonly index: number;
  readonly running: RunningApp;
  readonly store: RoomStore | undefined;
  readonly rooms: RoomsService;
  readonly connections: ConnectionsService;
}

/** A connected test client and the node it is on. */
export interface ClusterClient {
  readonly client: ProtocolClient;
  readonly id: string;
  readonly node: number;
}

/** N apps, each on its own HTTP server on port 0, and the clients connected to them. */
export class TestCluster {
  private readonly clients: ClusterClient[] = [];
  private markers = 0;

  private constructor(readonly nodes: ClusterNode[]) {}

  /** Starts N apps, one after the other (each with a fresh store from the factory). */
  static async start(
    count: number,
    createStore: (index: number) => RoomStore | undefined,
  ): Promise<TestCluster> {
    const nodes: ClusterNode[] = [];
    try {
      for (let index = 0; index < count; index++) {
        const store = createStore(index);
        const running = await startApp({ imports: [semanticsModule(store)] });
        nodes.push({
          index,
          running,
          store,
          rooms: running.app.get(RoomsService),
          connections: running.app.get(ConnectionsService),
        });
      }
    } catch (error) {
      await Promise.all(nodes.map((node) => node.running.close()));
      throw error;
    }
    return new TestCluster(nodes);
  }

  /** Connects a client to node `node % N` and reads its id from the welcome event. */
  async connect(node: number): Promise<ClusterClient> {
    const target = this.nodes[node % this.nodes.length];
    const client = await ProtocolClient.connect(target.running.wsUrl());
    const welcome = await client.nextEvent('welcome');
    const connected = { client, id: welcome.payload!, node: target.index };
    this.clients.push(connected);
    return connected;
  }

  /** Connects `count` clients, spread round-robin over the nodes. */
  async connectMany(count: number): Promise<ClusterClient[]> {
    const result: ClusterClient[] = [];
    for (let i = 0; i < count; i++) result.push(await this.connect(i));
    return result;
  }

  /** Joins a room and waits for the join's answer (the server answers once the join is effective). */
  async join(who: ClusterClient, room: string): Promise<string[]> {
    who.client.emit('join', room);
    return JSON.parse((await who.client.nextEvent('join')).payload!) as string[];
  }

  async leave(who: ClusterClient, room: string): Promise<string[]> {
    who.client.emit('leave', room);
    return JSON.parse((await who.client.nextEvent('leave')).payload!) as string[];
  }

  say(who: ClusterClient, body: SayBody): void {
    who.client.send('say', 4, JSON.stringify(body));
  }

  /**
   * Sends a marker from `from` to everyone and waits until every given client has it: after that,
   * each client's `said` list is complete for what `from` sent before.
   */
  async marker(from: ClusterClient, everyone: readonly ClusterClient[]): Promise<string> {
    const text = `marker-${++this.markers}`;
    this.say(from, { to: 'all', text });
    await Promise.all(
      everyone.map((who) => who.client.next((m) => m.event === 'said' && m.payload === text)),
    );
    return text;
  }

  /** Every `said` payload a client has received so far. */
  saidTo(who: ClusterClient): string[] {
    return who.client.eventsNamed('said').map((m) => m.payload!);
  }

  /** Closes every client of the current test. */
  async closeClients(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((who) => who.client.close()));
  }

  async close(): Promise<void> {
    await this.closeClients();
    await Promise.all(this.nodes.map((node) => node.running.close()));
  }
}

/** Polls an async condition until it holds; bounded. */
export async function eventuallyAsync(
  condition: () => Promise<boolean> | boolean,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Options of {@link describeRoomSemantics}. */
export interface RoomSemanticsOptions {
  /** Number of apps in the cluster. */
  readonly nodes: number;
  /** A fresh store for node `index` (called when the suite starts, after the caller's beforeAll). */
  readonly createStore: (index: number) => RoomStore | undefined;
}

/** Registers the shared room/broadcast suite in a `describe` block. */
export function describeRoomSemantics(title: string, options: RoomSemanticsOptions): void {
  describe(title, () => {
    let cluster: TestCluster;
    const sorted = (values: readonly string[]) => [...values].sort();

    beforeAll(async () => {
      cluster = await TestCluster.start(options.nodes, options.createStore);
    });

    afterEach(async () => {
      await cluster.closeClients();
      // Later tests count connections: wait until every node has seen these ones go.
      await eventuallyAsync(
        async () => (await cluster.nodes[0].connections.countAll()) === 0,
        5000,
        'connections of the previous test gone on every node',
      );
    });

    afterAll(async () => {
      await cluster?.close();
    });

    it('to(room) reaches every member on every node exactly once, the sender included, and nobody else', async () => {
      const [a, b, c, d, outsider] = await cluster.connectMany(5);
      for (const member of [a, b, c, d]) await cluster.join(member, 'r1');
      cluster.say(a, { to: ['r1'], text: 'hello r1' });
      const marker = await cluster.marker(a, [a, b, c, d, outsider]);
      for (const member of [a, b, c, d])
        expect(cluster.saidTo(member)).toEqual(['hello r1', marker]);
      expect(cluster.saidTo(outsider)).toEqual([marker]);
    });

    it('to(room) from a non-member reaches the members, not the sender', async () => {
      const [a, b, c] = await cluster.connectMany(3);
      await cluster.join(b, 'r2');
      await cluster.join(c, 'r2');
      cluster.say(a, { to: ['r2'], text: 'for r2' });
      const marker = await cluster.marker(a, [a, b, c]);
      expect(cluster.saidTo(b)).toEqual(['for r2', marker]);
      expect(cluster.saidTo(c)).toEqual(['for r2', marker]);
      expect(cluster.saidTo(a)).toEqual([marker]);
    });

    it('to(All) reaches every connection on every node once, the sender included', async () => {
      const everyone = await cluster.connectMany(6);
      cluster.say(everyone[1], { to: 'all', text: 'to all' });
      const marker = await cluster.marker(everyone[1], everyone);
      for (const who of everyone) expect(cluster.saidTo(who)).toEqual(['to all', marker]);
    });

    it('to(NotMe) reaches everyone on every node except only the sender', async () => {
      const everyone = await cluster.connectMany(6);
      const sender = everyone[2];
      cluster.say(sender, { to: 'not-me', text: 'not me' });
      const marker = await cluster.marker(sender, everyone);
      for (const who of everyone) {
        expect(cluster.saidTo(who)).toEqual(who === sender ? [marker] : ['not me', marker]);
      }
    });

    it('to(id) reaches exactly that connection, wherever it is connected', async () => {
      const everyone = await cluster.connectMany(4);
      const [a, , c] = everyone;
      cluster.say(a, { to: [c.id], text: 'private' });
      const marker = await cluster.marker(a, everyone);
      for (const who of everyone)
        expect(cluster.saidTo(who)).toEqual(who === c ? ['private', marker] : [marker]);
    });

    it('a room spelled like a connection id on another node is refused, and to(id) reaches that connection only (issue 15)', async () => {
      const everyone = await cluster.connectMany(3);
      const [victim, attacker, sender] = everyone;
      attacker.client.emit('join', victim.id);
      const refused = JSON.parse((await attacker.client.nextEvent('ws-rooms:error')).payload!) as {
        code: string;
      };
      expect(refused.code).toBe('WS_ROOMS_INVALID_ROOM_NAME');
      expect(await cluster.nodes[0].rooms.roomsOf(attacker.id)).toEqual([]);
      cluster.say(sender, { to: [victim.id], text: 'for the victim only' });
      const marker = await cluster.marker(sender, everyone);
      expect(cluster.saidTo(victim)).toEqual(['for the victim only', marker]);
      expect(cluster.saidTo(attacker)).toEqual([marker]);
      expect(cluster.saidTo(sender)).toEqual([marker]);
    });

    it('several rooms deliver once per recipient across nodes, and except() removes members everywhere', async () => {
      const [a, b, c, d, e] = await cluster.connectMany(5);
      const memberships: [ClusterClient, string][] = [
        [a, 'x'],
        [a, 'y'],
        [b, 'y'],
        [c, 'x'],
        [c, 'z'],
        [d, 'x'],
        [d, 'y'],
      ];
      for (const [who, room] of memberships) await cluster.join(who, room);
      cluster.say(e, { to: ['x', 'y'], except: ['z'], text: 'xy-not-z' });
      const marker = await cluster.marker(e, [a, b, c, d, e]);
      for (const who of [a, b, d]) expect(cluster.saidTo(who)).toEqual(['xy-not-z', marker]);
      for (const who of [c, e]) expect(cluster.saidTo(who)).toEqual([marker]);
    });

    it('join is idempotent and leave stops delivery, across nodes', async () => {
      const [a, b] = await cluster.connectMany(2);
      expect(await cluster.join(b, 'dup')).toEqual([b.id, 'dup']);
      expect(await cluster.join(b, 'dup')).toEqual([b.id, 'dup']);
      cluster.say(a, { to: ['dup'], text: 'once' });
      const first = await cluster.marker(a, [a, b]);
      expect(await cluster.leave(b, 'dup')).toEqual([b.id]);
      cluster.say(a, { to: ['dup'], text: 'after leave' });
      const second = await cluster.marker(a, [a, b]);
      expect(cluster.saidTo(b)).toEqual(['once', first, second]);
    });

    it('to(unknown room) reaches nobody', async () => {
      const everyone = await cluster.connectMany(3);
      cluster.say(everyone[0], { to: ['no-such-room'], text: 'lost' });
      const marker = await cluster.marker(everyone[0], everyone);
      for (const who of everyone) expect(cluster.saidTo(who)).toEqual([marker]);
    });

    it('bytes that are not UTF-8 and native messages cross unchanged, bytes in binary frames', async () => {
      const [a, b, c] = await cluster.connectMany(3);
      await cluster.join(b, 'bin');
      await cluster.join(c, 'bin');
      cluster.say(a, { to: ['bin'], text: 'raw', bytes: true });
      cluster.say(a, { to: ['bin'], text: 'native text', native: true });
      for (const who of [b, c]) {
        const bytes = await who.client.nextEvent('said');
        expect(bytes.isBinary).toBe(true);
        expect(bytes.type).toBe(3);
        expect(Buffer.from(bytes.payload!, 'latin1')).toEqual(
          Buffer.from([0xff, 0x00, 0x72, 0x61, 0x77]),
        );
        const native = await who.client.next((m) => m.event === undefined);
        expect(native.raw.toString()).toBe('native text');
        expect(native.isBinary).toBe(false);
      }
    });

    it('members, rooms, roomsOf and counts aggregate every node, asked from any node', async () => {
      const everyone = await cluster.connectMany(6);
      const inQ = everyone.filter((_, i) => i % 2 === 0);
      for (const who of inQ) await cluster.join(who, 'q');
      await cluster.join(everyone[1], 'only-one');
      const last = cluster.nodes.length - 1;
      for (const node of [cluster.nodes[0], cluster.nodes[last]]) {
        const members = await node.rooms.membersDetailed('q');
        expect(members.partial).toBe(false);
        expect(sorted(members.value)).toEqual(sorted(inQ.map((who) => who.id)));
        expect(await node.rooms.count('q')).toBe(inQ.length);
        const rooms = await node.rooms.roomsDetailed();
        expect(rooms.partial).toBe(false);
        expect(sorted(rooms.value)).toEqual(['only-one', 'q']);
        expect(sorted(await node.rooms.roomsOf(everyone[1].id))).toEqual(['only-one']);
        expect(await node.rooms.roomsOf(everyone[4].id)).toEqual(['q']);
        expect(await node.rooms.roomsOf('nobody-has-this-id')).toEqual([]);
        expect(await node.rooms.members(everyone[5].id)).toEqual([everyone[5].id]);
        expect(await node.rooms.members('empty-room')).toEqual([]);
        expect(await node.connections.countAll()).toBe(everyone.length);
      }
      await cluster.leave(everyone[1], 'only-one');
      expect(await cluster.nodes[0].rooms.rooms()).toEqual(['q']);
    });

    it('join, leave and disconnect reach a connection on another node; unknown ids resolve false', async () => {
      const [a, , c] = await cluster.connectMany(3);
      const asker = cluster.nodes[0];
      expect(await asker.rooms.join(c.id, 'moved')).toBe(true);
      expect(await asker.rooms.roomsOf(c.id)).toEqual(['moved']);
      cluster.say(a, { to: ['moved'], text: 'you were moved' });
      expect((await c.client.nextEvent('said')).payload).toBe('you were moved');
      expect(await asker.rooms.leave(c.id, 'moved')).toBe(true);
      expect(await asker.rooms.roomsOf(c.id)).toEqual([]);
      cluster.say(a, { to: ['moved'], text: 'after leave' });
      const marker = await cluster.marker(a, [a, c]);
      expect(cluster.saidTo(c)).toEqual(['you were moved', marker]);

      const closed = c.client.waitClose();
      expect(await asker.connections.disconnect(c.id, 4000, 'moved out')).toBe(true);
      expect(await closed).toEqual({ code: 4000, reason: 'moved out' });

      const started = Date.now();
      expect(await asker.rooms.join('no-such-connection', 'x')).toBe(false);
      expect(await asker.connections.disconnect('no-such-connection')).toBe(false);
      // Nobody listens on an unknown id's channel: the answer does not wait for the request timeout.
      expect(Date.now() - started).toBeLessThan(1500);
    });
  });
}
