/**
 * The protocol extensions end to end: requests in both directions, presence and missed-message
 * recovery, with the modern client in Node (`ws` as its WebSocket) against the real server in
 * process, and the original Iris-style clients on the same server, unchanged. Every wait is for the
 * event that proves the behaviour, bounded; server-side state is polled with `eventually`.
 */
import { Module } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import WebSocket from 'ws';
import {
  ConnectionsService,
  MessageBody,
  OnEvent,
  RoomsService,
  type WsConnection,
  WsRoomsError,
  WsRoomsErrorCode,
  WsRoomsGateway,
  WsRoomsModule,
  type WsRoomsOptions,
} from 'ws-rooms';
import {
  type DisconnectInfo,
  type PresenceChange,
  Ws,
  WsRoomsClient,
  WsRoomsClientError,
  type WsRoomsClientOptions,
  WsRoomsServerError,
} from 'ws-rooms/client';
import { eventually, ProtocolClient, withTimeout } from './support/protocol-client';
import {
  collect,
  next,
  nextPresence,
  nextRecovery,
  opened,
  rejectionOf,
  WAIT_MS,
} from './support/modern-client-waits';
import { startSwitchingProxy } from './support/switching-proxy';
import { type RunningApp, startApp } from './support/test-app';
import { RoomMembershipHandlers } from './support/room-membership.handlers';

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** What the `hang` handler waits for; resolved in afterEach so no handler outlives its test. */
let hanging = deferred<string>();

@WsRoomsGateway()
class ExtensionsGateway extends RoomMembershipHandlers {
  @OnEvent('add')
  add(@MessageBody() body: { a: number; b: number }): number {
    return body.a + body.b;
  }

  @OnEvent('reverse-bytes')
  reverseBytes(@MessageBody() bytes: Buffer): Buffer {
    return Buffer.from(bytes).reverse();
  }

  @OnEvent('refuse')
  refuse(): never {
    throw new WsException('members only');
  }

  @OnEvent('forbid')
  forbid(): never {
    throw new WsRoomsError(WsRoomsErrorCode.Forbidden, 'not yours');
  }

  @OnEvent('hang')
  hang(): Promise<string> {
    return hanging.promise;
  }
}

const principalName = (req: { url?: string }): { name: string } => ({
  name: new URL(req.url!, 'http://x').searchParams.get('name') ?? 'anon',
});

const extensionOptions: WsRoomsOptions = {
  endpoint: '/ws',
  recovery: { windowMs: 5000, maxMessages: 100 },
  presence: {
    rooms: ['lobby'],
    metadata: (c) => ({ name: String((c.principal as { name?: unknown })?.name ?? 'anon') }),
  },
  authenticate: (req) => principalName(req),
};

@Module({
  imports: [WsRoomsModule.forRoot(extensionOptions)],
  providers: [ExtensionsGateway],
})
class ExtensionsModule {}

/** Heartbeat and recovery window short enough to watch them act within a test. */
@Module({
  imports: [
    WsRoomsModule.forRoot({
      ...extensionOptions,
      pingPeriod: 100,
      pongTimeout: 300,
      recovery: { windowMs: 200, maxMessages: 100 },
    }),
  ],
  providers: [ExtensionsGateway],
})
class ShortTimersModule {}

describe('protocol extensions: requests, presence and recovery with the modern client', () => {
  let running: RunningApp;
  const clients: WsRoomsClient[] = [];
  const protocolClients: ProtocolClient[] = [];

  function modern(name: string, options: WsRoomsClientOptions = {}): WsRoomsClient {
    const client = new WsRoomsClient(running.wsUrl(`/ws?name=${name}`), {
      WebSocket,
      ...options,
    });
    clients.push(client);
    return client;
  }

  async function raw(name: string): Promise<ProtocolClient> {
    const client = await ProtocolClient.connect(running.wsUrl(`/ws?name=${name}`));
    protocolClients.push(client);
    return client;
  }

  /** The server-side connection of the client that authenticated as `name`. */
  function connectionNamed(name: string): WsConnection {
    const found = [...running.app.get(ConnectionsService)].find(
      (c) => (c.principal as { name?: string }).name === name,
    );
    if (found === undefined) throw new Error(`no connection named ${name}`);
    return found;
  }

  async function afterEachTest(): Promise<void> {
    hanging.resolve('released');
    hanging = deferred<string>();
    for (const client of clients.splice(0)) client.close();
    await Promise.all(protocolClients.splice(0).map((c) => c.close()));
    await eventually(
      () => running.app.get(ConnectionsService).count === 0,
      WAIT_MS,
      'every connection to end',
    );
  }

  describe('requests', () => {
    beforeAll(async () => {
      running = await startApp({ imports: [ExtensionsModule] });
    });
    afterEach(afterEachTest);
    afterAll(async () => running.close());

    it("resolves with the handler's value, JSON and bytes", async () => {
      const client = modern('alice');
      await expect(client.request('add', { a: 2, b: 3 })).resolves.toBe(5);
      const reversed = await client.request('reverse-bytes', Uint8Array.of(1, 2, 255));
      expect(reversed).toBeInstanceOf(Uint8Array);
      expect([...(reversed as Uint8Array)]).toEqual([255, 2, 1]);
    });

    it("rejects with the handler's error code and message", async () => {
      const client = modern('alice');
      const refused = await rejectionOf(client.request('refuse', null));
      expect(refused).toBeInstanceOf(WsRoomsServerError);
      expect(refused).toMatchObject({
        code: 'WS_ROOMS_BAD_REQUEST',
        message: 'members only',
        event: 'refuse',
      });
      await expect(client.request('forbid', null)).rejects.toMatchObject({
        name: 'WsRoomsServerError',
        code: 'WS_ROOMS_FORBIDDEN',
        message: 'not yours',
      });
    });

    it('rejects a request for an event without handler with WS_ROOMS_NO_HANDLER (404)', async () => {
      const client = modern('alice');
      const error = await rejectionOf(client.request('no-such-event', 1));
      expect(error).toBeInstanceOf(WsRoomsServerError);
      expect(error).toMatchObject({ code: 'WS_ROOMS_NO_HANDLER', status: 404 });
    });

    it('times out when the handler never answers', async () => {
      const client = modern('alice');
      const started = Date.now();
      const error = await rejectionOf(client.request('hang', null, { timeout: 200 }));
      expect(error).toBeInstanceOf(WsRoomsClientError);
      expect(error).toMatchObject({ code: 'WS_ROOMS_CLIENT_REQUEST_TIMEOUT', event: 'hang' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    });

    it('aborts a request whose connection closes before the reply', async () => {
      const client = modern('alice', { reconnect: false });
      await opened(client);
      const pending = client.request('hang', null);
      await eventually(() => running.app.get(ConnectionsService).count === 1);
      connectionNamed('alice').disconnect(4000, 'bye');
      await expect(pending).rejects.toMatchObject({ code: 'WS_ROOMS_CLIENT_REQUEST_ABORTED' });
    });

    it('sends a request made while connecting once the connection opens', async () => {
      const client = modern('alice');
      expect(client.state).toBe('connecting');
      await expect(client.request('add', { a: 40, b: 2 })).resolves.toBe(42);
    });

    it('answers server-to-client requests with onRequest, values and errors', async () => {
      const client = modern('alice');
      client.onRequest('confirm', async (value) => ({ ok: true, asked: value }));
      client.onRequest('deny', () => {
        throw Object.assign(new Error('not today'), { code: 'APP_DENIED' });
      });
      await opened(client);
      await eventually(() => running.app.get(ConnectionsService).count === 1);
      const connection = connectionNamed('alice');
      await expect(connection.request('confirm', { q: 'sure?' })).resolves.toEqual({
        ok: true,
        asked: { q: 'sure?' },
      });
      await expect(connection.request('deny', null)).rejects.toMatchObject({
        code: 'APP_DENIED',
        message: 'not today',
      });
      await expect(connection.request('unhandled', null)).rejects.toMatchObject({
        code: 'WS_ROOMS_NO_HANDLER',
      });
    });

    it('lets a server-to-client request time out on the server', async () => {
      const client = modern('alice');
      const never = deferred<string>();
      client.onRequest('slow', () => never.promise);
      await opened(client);
      await eventually(() => running.app.get(ConnectionsService).count === 1);
      const error = await rejectionOf(
        connectionNamed('alice').request('slow', null, { timeout: 200 }),
      );
      expect(error).toBeInstanceOf(WsRoomsError);
      expect(error).toMatchObject({ code: 'WS_ROOMS_REQUEST_TIMEOUT' });
      never.resolve('too late');
    });

    it('collects a room request: replies, error replies and silent members', async () => {
      const answering = modern('answering');
      answering.onRequest('vote', (question) => `yes to ${String(question)}`);
      const unhandled = modern('unhandled');
      await answering.request('join', 'poll');
      await unhandled.request('join', 'poll');
      const silent = await raw('silent');
      silent.emit('join', 'poll');
      await silent.nextEvent('join');

      const result = await running.app
        .get(RoomsService)
        .to('poll')
        .request('vote', 'lunch', { timeout: 300 });
      const answeringId = connectionNamed('answering').id;
      const unhandledId = connectionNamed('unhandled').id;
      const silentId = connectionNamed('silent').id;
      expect([...result.replies]).toEqual([[answeringId, 'yes to lunch']]);
      expect([...result.errors.keys()]).toEqual([unhandledId]);
      expect(result.errors.get(unhandledId)?.code).toBe('WS_ROOMS_NO_HANDLER');
      expect(result.missing).toEqual([silentId]);
    });
  });

  describe('presence', () => {
    beforeAll(async () => {
      running = await startApp({ imports: [ExtensionsModule] });
    });
    afterEach(afterEachTest);
    afterAll(async () => running.close());

    it('shows joins and leaves with metadata from the principal, here and in RoomsService', async () => {
      const alice = modern('alice', { recovery: true });
      const aliceSession = await nextRecovery(alice);
      const aliceMembers = nextPresence(alice, (c) => c.type === 'members', 'alice members');
      await alice.request('join', 'lobby');
      expect(await aliceMembers).toEqual({
        type: 'members',
        room: 'lobby',
        members: [{ id: aliceSession.id, meta: { name: 'alice' } }],
        version: 1,
      });

      const bob = modern('bob');
      const bobJoined = nextPresence(alice, (c) => c.type === 'joined', 'bob joined');
      const bobMembers = nextPresence(bob, (c) => c.type === 'members', 'bob members');
      await bob.request('join', 'lobby');
      const bobId = connectionNamed('bob').id;
      expect(await bobJoined).toEqual({
        type: 'joined',
        room: 'lobby',
        member: { id: bobId, meta: { name: 'bob' } },
        version: 2,
      });
      expect((await bobMembers).version).toBe(2);
      const both = [
        { id: aliceSession.id, meta: { name: 'alice' } },
        { id: bobId, meta: { name: 'bob' } },
      ];
      expect(bob.presence('lobby')).toEqual(both);
      expect(alice.presence('lobby')).toEqual(both);
      expect(await running.app.get(RoomsService).presence('lobby')).toEqual(both);

      const bobLeft = nextPresence(alice, (c) => c.type === 'left', 'bob left');
      const bobForgot = nextPresence(bob, (c) => c.type === 'members', 'bob forgets the room');
      await bob.request('leave', 'lobby');
      expect(await bobLeft).toEqual({ type: 'left', room: 'lobby', id: bobId, version: 3 });
      expect(await bobForgot).toEqual({ type: 'members', room: 'lobby', members: [] });
      expect(bob.presence('lobby')).toEqual([]);
      expect(alice.presence('lobby')).toEqual([both[0]]);
      expect(await running.app.get(RoomsService).presence('lobby')).toEqual([both[0]]);

      // A member that closes its connection leaves too.
      await bob.request('join', 'lobby');
      await eventually(() => alice.presence('lobby').length === 2, WAIT_MS, 'bob back');
      const bobGone = nextPresence(alice, (c) => c.type === 'left', 'bob gone');
      bob.close();
      expect(await bobGone).toEqual({ type: 'left', room: 'lobby', id: bobId, version: 5 });
      expect(await running.app.get(RoomsService).presence('lobby')).toEqual([both[0]]);
    });

    it('is not tracked for rooms outside the presence option', async () => {
      const alice = modern('alice');
      const changes: PresenceChange[] = [];
      alice.onPresence((change) => changes.push(change));
      await alice.request('join', 'plain');
      await alice.request('add', { a: 1, b: 1 });
      expect(changes).toEqual([]);
      expect(await running.app.get(RoomsService).presence('plain')).toEqual([]);
    });
  });

  describe('recovery', () => {
    beforeAll(async () => {
      running = await startApp({ imports: [ExtensionsModule] });
    });
    afterEach(afterEachTest);
    afterAll(async () => running.close());

    /** A recovering client that waits 300 ms before reconnecting: time to broadcast meanwhile. */
    const recovering = (name: string): WsRoomsClient =>
      modern(name, { recovery: true, reconnect: { initialDelay: 300, jitter: false } });

    it('gives back the id, the rooms and the missed messages, once and in order', async () => {
      const client = recovering('alice');
      const first = await nextRecovery(client);
      expect(first).toEqual({ status: 'fresh', recovered: false, id: client.id });
      expect(client.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      const id = client.id!;
      const said = collect(client, 'said');
      const blobs = collect(client, 'blob');
      await client.request('join', 'news');
      const rooms = running.app.get(RoomsService);
      rooms.to('news').emit('said', 'live-0');
      await eventually(() => said.length === 1, WAIT_MS, 'live-0');

      const connections = running.app.get(ConnectionsService);
      const server = connections.get(id) as unknown as { ws: WebSocket };
      const recovery = nextRecovery(client);
      const disconnected = next<DisconnectInfo>(
        (deliver) => client.onDisconnect(deliver),
        'the client to notice',
      );
      server.ws.terminate();
      expect(await disconnected).toMatchObject({ code: 1006, willReconnect: true });
      await eventually(() => !connections.has(id), WAIT_MS, 'the server to notice');
      rooms.to('news').emit('said', 'missed-1');
      rooms.to('news').emit('said', 'missed-2');
      rooms.to('elsewhere').emit('said', 'not for alice');
      // Raw bytes that are not UTF-8: the wrapped message travels binary and is cut at byte level.
      rooms.to('news').emit('blob', Buffer.from([0xff, 0x00, 0x3b, 0xfe]));
      rooms.to('news').emit('said', 'missed-3');

      expect(await recovery).toEqual({ status: 'recovered', recovered: true, id });
      expect(client.id).toBe(id);
      await eventually(() => said.length === 4, WAIT_MS, 'the missed messages');
      rooms.to('news').emit('said', 'live-1');
      await eventually(() => said.length === 5, WAIT_MS, 'live-1');
      expect(said).toEqual(['live-0', 'missed-1', 'missed-2', 'missed-3', 'live-1']);
      expect(blobs.map((bytes) => [...(bytes as Uint8Array)])).toEqual([[0xff, 0x00, 0x3b, 0xfe]]);

      const resumed = connections.get(id)!;
      expect(resumed.recovered).toBe(true);
      expect(resumed.rooms()).toEqual([id, 'news']);
      // Still in the room: a request's reply and a broadcast reach it, nothing is repeated.
      await expect(client.request('add', { a: 1, b: 2 })).resolves.toBe(3);
      expect(said).toHaveLength(5);
    });

    it('takes a session over from a connection the server still holds (a cut it did not notice)', async () => {
      const proxy = await startSwitchingProxy(running.port);
      try {
        const client = new WsRoomsClient(`ws://127.0.0.1:${proxy.port}/ws?name=alice`, {
          WebSocket,
          recovery: true,
          reconnect: { initialDelay: 100, jitter: false },
        });
        clients.push(client);
        await nextRecovery(client);
        const id = client.id!;
        await client.request('join', 'news');
        const said = collect(client, 'said');
        const rooms = running.app.get(RoomsService);
        rooms.to('news').emit('said', 'before');
        await eventually(() => said.length === 1, WAIT_MS, 'before');

        const connections = running.app.get(ConnectionsService);
        const held = connections.get(id)!;
        const recovery = nextRecovery(client);
        proxy.cutClients();
        // The server still believes in the old connection: this goes to it, into the void.
        rooms.to('news').emit('said', 'during');
        expect(held.isOpen).toBe(true);

        expect(await recovery).toEqual({ status: 'recovered', recovered: true, id });
        expect(held.isOpen).toBe(false);
        expect(connections.count).toBe(1);
        rooms.to('news').emit('said', 'after');
        await eventually(() => said.length === 3, WAIT_MS, 'during and after');
        expect(said).toEqual(['before', 'during', 'after']);
      } finally {
        await proxy.close();
      }
    });

    it('does not replay what a room said before the client joined it', async () => {
      const client = recovering('alice');
      await nextRecovery(client);
      const id = client.id!;
      await client.request('join', 'news');
      const said = collect(client, 'said');
      const rooms = running.app.get(RoomsService);
      rooms.to('news').emit('said', 'news-0');
      await eventually(() => said.length === 1, WAIT_MS, 'news-0');
      // Said in a room the client is not in yet: after its last offset, but never its to receive.
      rooms.to('secret').emit('said', 'secret-before');
      await client.request('join', 'secret');

      const recovery = nextRecovery(client);
      const connections = running.app.get(ConnectionsService);
      (connections.get(id) as unknown as { ws: WebSocket }).ws.terminate();
      rooms.to('secret').emit('said', 'secret-missed');
      expect(await recovery).toEqual({ status: 'recovered', recovered: true, id });
      rooms.to('secret').emit('said', 'secret-live');
      await eventually(() => said.length === 3, WAIT_MS, 'the replay and secret-live');
      expect(said).toEqual(['news-0', 'secret-missed', 'secret-live']);
    });

    it('restores presence in tracked rooms after a recovery', async () => {
      const alice = recovering('alice');
      await nextRecovery(alice);
      const id = alice.id!;
      await alice.request('join', 'lobby');
      const bob = modern('bob');
      await bob.request('join', 'lobby');
      await eventually(() => alice.presence('lobby').length === 2, WAIT_MS, 'bob in view');

      const left = nextPresence(bob, (c) => c.type === 'left', 'alice left');
      const back = nextPresence(bob, (c) => c.type === 'joined', 'alice back');
      const recovery = nextRecovery(alice);
      const connections = running.app.get(ConnectionsService);
      (connections.get(id) as unknown as { ws: WebSocket }).ws.terminate();
      expect(await left).toEqual({ type: 'left', room: 'lobby', id, version: 3 });
      expect((await recovery).recovered).toBe(true);
      expect(await back).toEqual({
        type: 'joined',
        room: 'lobby',
        member: { id, meta: { name: 'alice' } },
        version: 4,
      });
      const bobId = connectionNamed('bob').id;
      const expected = [
        { id: bobId, meta: { name: 'bob' } },
        { id, meta: { name: 'alice' } },
      ];
      expect(await running.app.get(RoomsService).presence('lobby')).toEqual(expected);
      expect(bob.presence('lobby')).toEqual(expected);
      await eventually(
        () => JSON.stringify(alice.presence('lobby')) === JSON.stringify(expected),
        WAIT_MS,
        "alice's view",
      );
    });

    it('signals a session the server no longer knows: new id, no rooms, state to reload', async () => {
      const client = recovering('alice');
      await nextRecovery(client);
      const oldId = client.id!;
      await client.request('join', 'news');
      const said = collect(client, 'said');
      const recovery = nextRecovery(client);
      // A deliberate server close (a retryable application code) keeps no session to resume.
      connectionNamed('alice').disconnect(4500, 'restarting');
      const result = await recovery;
      expect(result).toEqual({
        status: 'failed',
        recovered: false,
        reason: 'unknown-session',
        id: client.id,
        previousId: oldId,
      });
      expect(client.id).not.toBe(oldId);
      expect(running.app.get(ConnectionsService).get(client.id!)!.rooms()).toEqual([client.id]);
      // The new baseline offset is honoured: live messages after rejoining arrive.
      await client.request('join', 'news');
      running.app.get(RoomsService).to('news').emit('said', 'after');
      await eventually(() => said.length === 1, WAIT_MS, 'a live message');
      expect(said).toEqual(['after']);
    });

    it('leaves the original Iris-style clients unchanged: no session, nothing wrapped', async () => {
      const modernClient = modern('modern', { recovery: true });
      await nextRecovery(modernClient);
      await modernClient.request('join', 'plain');
      const modernSaid = collect(modernClient, 'said');

      const rawClient = await raw('raw');
      rawClient.emit('join', 'plain');
      await rawClient.nextEvent('join');

      const compatSaid: string[] = [];
      const compat = new Ws(running.wsUrl('/ws?name=compat'), undefined, { WebSocket });
      compat.On('said', (message) => compatSaid.push(message));
      const compatJoined = new Promise<string>((resolve) => compat.On('join', resolve));
      compat.OnConnect(() => compat.Emit('join', 'plain'));
      expect(JSON.parse(await withTimeout(compatJoined, WAIT_MS, 'compat join'))).toContain(
        'plain',
      );
      expect(connectionNamed('compat').upgradeRequest?.url).toBe('/ws?name=compat');

      running.app.get(RoomsService).to('plain').emit('said', 'hello; all');
      const message = await rawClient.nextEvent('said');
      expect(message.raw.toString('utf8')).toBe('iris-websocket-message:said;0;hello; all');
      expect(message.isBinary).toBe(false);
      await eventually(() => compatSaid.length === 1 && modernSaid.length === 1);
      expect(compatSaid).toEqual(['hello; all']);
      expect(modernSaid).toEqual(['hello; all']);
      expect(rawClient.received.filter((m) => m.event?.startsWith('ws-rooms:'))).toEqual([]);
      compat.Disconnect();
    });
  });

  describe('with short heartbeat and recovery window', () => {
    beforeAll(async () => {
      running = await startApp({ imports: [ShortTimersModule] });
    });
    afterEach(afterEachTest);
    afterAll(async () => running.close());

    it('removes a member that stops answering pings after the pong timeout', async () => {
      const alice = modern('alice');
      await alice.request('join', 'lobby');
      // A peer that vanished: it never answers pings and sends no close frame.
      const ghost = new WebSocket(running.wsUrl('/ws?name=ghost'), { autoPong: false });
      ghost.on('error', () => undefined);
      await new Promise((resolve) => ghost.once('open', resolve));
      const joined = nextPresence(alice, (c) => c.type === 'joined', 'ghost joined');
      ghost.send('iris-websocket-message:join;0;lobby');
      const ghostId = ((await joined) as { member: { id: string } }).member.id;
      expect((await running.app.get(RoomsService).presence('lobby')).map((m) => m.id)).toContain(
        ghostId,
      );

      const started = Date.now();
      const left = await nextPresence(alice, (c) => c.type === 'left', 'ghost left');
      expect(left).toEqual({
        type: 'left',
        room: 'lobby',
        id: ghostId,
        version: expect.any(Number),
      });
      // Between one pong timeout and a ping period plus a pong timeout (and a sweep tick).
      expect(Date.now() - started).toBeLessThan(2000);
      expect((await running.app.get(RoomsService).presence('lobby')).map((m) => m.id)).toEqual(
        alice.presence('lobby').map((m) => m.id),
      );
      expect(alice.presence('lobby').map((m) => m.meta)).toEqual([{ name: 'alice' }]);
      ghost.terminate();
    });

    it('signals an expired session after the recovery window', async () => {
      const client = modern('alice', {
        recovery: true,
        reconnect: { initialDelay: 600, jitter: false },
      });
      await nextRecovery(client);
      const oldId = client.id!;
      const recovery = nextRecovery(client);
      const connections = running.app.get(ConnectionsService);
      (connections.get(oldId) as unknown as { ws: WebSocket }).ws.terminate();
      const result = await recovery;
      expect(result).toMatchObject({ status: 'failed', recovered: false, previousId: oldId });
      expect(result.reason).toBe('expired');
      expect(client.id).not.toBe(oldId);
    });
  });
});
