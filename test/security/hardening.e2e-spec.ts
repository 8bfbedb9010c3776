/**
 * Issue 15, hardening: one test over real sockets per fixed item, each written to fail without its
 * fix. This file holds what a hostile client does to the server's state (ids and rooms, room names,
 * recovery sessions, the clock); `hardening-wire.e2e-spec.ts` holds what it does on the wire.
 */
import { type DynamicModule, Module } from '@nestjs/common';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import {
  ConnectedSocket,
  type DisconnectInfo,
  MessageBody,
  OnEvent,
  type OnWsConnection,
  type OnWsDisconnect,
  RoomsService,
  type WsConnection,
  WsRoomsGateway,
  WsRoomsModule,
  type WsRoomsOptions,
} from 'ws-rooms';
import { eventually, ProtocolClient, withTimeout } from '../support/protocol-client';
import { Recorder } from '../support/recorder';
import { RoomMembershipHandlers } from '../support/room-membership.handlers';
import { type RunningApp, startApp } from '../support/test-app';

const PREFIX = 'iris-websocket-message:';

/** Joins and leaves (from the shared handlers), an echo, and a record of every disconnect. */
@WsRoomsGateway()
class HardeningGateway extends RoomMembershipHandlers implements OnWsConnection, OnWsDisconnect {
  readonly disconnects = new Recorder<{ id: string } & DisconnectInfo>();

  onWsConnection(connection: WsConnection): void {
    connection.emit('welcome', connection.id);
  }

  onWsDisconnect(connection: WsConnection, info: DisconnectInfo): void {
    this.disconnects.push({ id: connection.id, ...info });
  }

  @OnEvent('echo')
  echo(@ConnectedSocket() _connection: WsConnection, @MessageBody() value: string): string {
    return value;
  }

  /** A join answered with the number of rooms (a small reply, whatever the rooms' names). */
  @OnEvent('enter')
  async enter(@ConnectedSocket() connection: WsConnection, @MessageBody() room: string) {
    await connection.join(room);
    return connection.rooms().length;
  }
}

@Module({})
class HardeningModule {
  static with(options: WsRoomsOptions): DynamicModule {
    return {
      module: HardeningModule,
      imports: [WsRoomsModule.forRoot(options)],
      providers: [HardeningGateway],
    };
  }
}

type Fixture = RunningApp & { gateway: HardeningGateway; rooms: RoomsService };

/** A `ws-rooms:error` event, decoded, with the size of the frame that carried it. */
interface ErrorEvent {
  code: string;
  message: string;
  event?: string;
  bytes: number;
}

/** The session a recovery client is told about first. */
interface SessionEvent {
  id: string;
  token: string;
  offset?: number;
  recovered: boolean;
  reason?: string;
}

async function nextError(client: ProtocolClient): Promise<ErrorEvent> {
  const message = await client.nextEvent('ws-rooms:error');
  return { ...JSON.parse(message.payload!), bytes: message.raw.length };
}

/**
 * The garbage collector, for heap measurements: jest does not start Node with `--expose-gc`, and
 * the flag only has to be set before a context asks for `gc`.
 */
function collectGarbage(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed !== undefined) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('hardening (issue 15): ids, room names, recovery sessions and the clock', () => {
  const apps: RunningApp[] = [];
  const clients: ProtocolClient[] = [];

  async function start(options: WsRoomsOptions): Promise<Fixture> {
    const running = await startApp({ imports: [HardeningModule.with(options)] });
    apps.push(running);
    return Object.assign(running, {
      gateway: running.app.get(HardeningGateway),
      rooms: running.app.get(RoomsService),
    });
  }

  async function connect(
    running: RunningApp,
    path = '/ws',
    options: WebSocket.ClientOptions = {},
  ): Promise<{ client: ProtocolClient; id: string }> {
    const client = await ProtocolClient.connect(running.wsUrl(path), options);
    clients.push(client);
    const welcome = await client.nextEvent('welcome');
    return { client, id: welcome.payload! };
  }

  async function join(client: ProtocolClient, room: string): Promise<void> {
    client.emit('join', room);
    expect(JSON.parse((await client.nextEvent('join')).payload!)).toContain(room);
  }

  afterEach(async () => {
    jest.restoreAllMocks();
    await Promise.all(
      clients.splice(0).map(async (client) => {
        if (client.ws.readyState === WebSocket.CLOSED) return;
        client.ws.terminate();
        await client.waitClose();
      }),
    );
    await Promise.all(apps.splice(0).map((running) => running.close()));
  });

  describe('item 2: connection ids and room names never alias', () => {
    it('a room spelled like another connection id is refused (WS_ROOMS_INVALID_ROOM_NAME), and to(id) reaches exactly that connection', async () => {
      const running = await start({ endpoint: '/ws' });
      const victim = await connect(running);
      const attacker = await connect(running);
      const bystander = await connect(running);
      // The default ids: 22 characters of [A-Za-z0-9_-] (128 random bits).
      for (const { id } of [victim, attacker, bystander]) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);

      attacker.client.emit('join', victim.id);
      const refused = await nextError(attacker.client);
      expect(refused).toMatchObject({ code: 'WS_ROOMS_INVALID_ROOM_NAME', event: 'join' });
      // Any string of that shape is an id, whether a connection has it or not.
      attacker.client.emit('join', 'A'.repeat(22));
      expect((await nextError(attacker.client)).code).toBe('WS_ROOMS_INVALID_ROOM_NAME');
      expect(await running.rooms.roomsOf(attacker.id)).toEqual([]);
      expect(await running.rooms.rooms()).toEqual([]);

      running.rooms.to(victim.id).emit('secret', 'for the victim only');
      // A broadcast to everyone after it: a connection that has it has seen everything sent before.
      running.rooms.to(victim.id).to(attacker.id).to(bystander.id).emit('marker', 'after');
      for (const { client } of [victim, attacker, bystander]) await client.nextEvent('marker');
      expect(victim.client.eventsNamed('secret').map((m) => m.payload)).toEqual([
        'for the victim only',
      ]);
      expect(attacker.client.eventsNamed('secret')).toEqual([]);
      expect(bystander.client.eventsNamed('secret')).toEqual([]);
    });

    it('custom ids: idGenerator needs isConnectionId (start-up fails with WS_ROOMS_INVALID_OPTION); with it, a room spelled like an id is refused', async () => {
      let next = 0;
      const idGenerator = () => `conn-${++next}`;
      await expect((async () => start({ endpoint: '/ws', idGenerator }))()).rejects.toMatchObject({
        code: 'WS_ROOMS_INVALID_OPTION',
      });
      expect(apps).toHaveLength(0);

      const running = await start({
        endpoint: '/ws',
        idGenerator,
        isConnectionId: (name) => /^conn-[0-9]{1,9}$/.test(name),
      });
      const victim = await connect(running);
      const attacker = await connect(running);
      expect(victim.id).toMatch(/^conn-[0-9]+$/);
      attacker.client.emit('join', victim.id);
      expect(await nextError(attacker.client)).toMatchObject({
        code: 'WS_ROOMS_INVALID_ROOM_NAME',
        event: 'join',
      });
      // A name that only looks similar is an ordinary room.
      await join(attacker.client, `${victim.id}-room`);
      running.rooms.to(victim.id).emit('secret', 'for the victim only');
      running.rooms.to(victim.id).to(attacker.id).emit('marker', 'after');
      await attacker.client.nextEvent('marker');
      await victim.client.nextEvent('marker');
      expect(attacker.client.eventsNamed('secret')).toEqual([]);
      expect(victim.client.eventsNamed('secret')).toHaveLength(1);
    });
  });

  describe('item 3: room names are bounded in bytes', () => {
    it('maxRoomNameLength (default 128 bytes): 128 bytes join, 129 bytes (or 43 three-byte characters) do not', async () => {
      const running = await start({ endpoint: '/ws' });
      const { client, id } = await connect(running);
      await join(client, 'r'.repeat(128));
      for (const name of ['r'.repeat(129), '€'.repeat(43)]) {
        client.emit('join', name);
        expect(await nextError(client)).toMatchObject({
          code: 'WS_ROOMS_ROOM_NAME_TOO_LONG',
          event: 'join',
        });
      }
      expect(await running.rooms.roomsOf(id)).toEqual(['r'.repeat(128)]);
    });

    it('100 joins with 64 KiB names: each refused without echoing the name, nothing indexed, heap growth bounded', async () => {
      const gc = collectGarbage();
      const running = await start({ endpoint: '/ws', maxMessageSize: 128 * 1024 });
      const { client, id } = await connect(running);
      // The messages are built before the measurement, as Buffers (outside the V8 heap), so that
      // the heap measured is the server's: 100 joins of distinct 64 KiB names.
      const joins = Array.from({ length: 100 }, (_, i) => {
        const message = Buffer.alloc(`${PREFIX}enter;0;`.length + 64 * 1024, 'n');
        message.write(`${PREFIX}enter;0;${i}:`);
        return message;
      });
      const answers = () =>
        client.received.filter((m) => m.event === 'enter' || m.event === 'ws-rooms:error');
      // A warm-up join, so that the heap measured below holds no first-use allocations.
      client.sendRaw(joins[0]);
      await eventually(() => answers().length === 1, 3000, 'the warm-up answer');
      gc();
      const heapBefore = process.memoryUsage().heapUsed;
      for (const message of joins) client.sendRaw(message);
      await eventually(() => answers().length === 101, 5000, 'an answer to every join');
      gc();
      const growth = process.memoryUsage().heapUsed - heapBefore;

      // Kept, the 100 names alone would be 6.4 MiB.
      expect(growth).toBeLessThan(2 * 1024 * 1024);
      expect(await running.rooms.roomsOf(id)).toEqual([]);
      expect(await running.rooms.rooms()).toEqual([]);
      for (const answer of answers()) {
        expect(answer.event).toBe('ws-rooms:error');
        expect(JSON.parse(answer.payload!)).toMatchObject({
          code: 'WS_ROOMS_ROOM_NAME_TOO_LONG',
          event: 'enter',
        });
        // The name is not echoed back: a small frame whatever the name's size.
        expect(answer.raw.length).toBeLessThan(256);
        expect(answer.payload).not.toContain('nnnnnnnnnnnnnnnn');
      }
      // Still served.
      client.emit('echo', 'served');
      expect((await client.nextEvent('echo')).payload).toBe('served');
    });
  });

  describe('item 4: recovery sessions are bounded, the oldest evicted first', () => {
    /** Connects with recovery on (a fresh session, or a resume) and reads the session event. */
    async function recoveryConnect(
      running: RunningApp,
      resume?: { token: string; offset: number },
    ): Promise<{ client: ProtocolClient; session: SessionEvent }> {
      const query =
        resume === undefined
          ? 'ws-rooms-recovery=1'
          : `ws-rooms-recovery=1&ws-rooms-session=${resume.token}&ws-rooms-offset=${resume.offset}`;
      const client = await ProtocolClient.connect(running.wsUrl(`/ws?${query}`));
      clients.push(client);
      const session = JSON.parse((await client.nextEvent('ws-rooms:session')).payload!);
      await client.nextEvent('welcome');
      return { client, session };
    }

    /**
     * Connects with recovery on, joins the rooms, then cuts TCP (no close frame, as a dropped
     * network would) and waits until the server has ended the connection.
     */
    async function cutSession(
      running: Fixture,
      rooms: readonly string[],
    ): Promise<{ id: string; token: string; offset: number }> {
      const { client, session } = await recoveryConnect(running);
      for (const room of rooms) await join(client, room);
      (client.ws as unknown as { _socket: { destroy(): void } })._socket.destroy();
      await running.gateway.disconnects.waitFor(
        (d) => d.id === session.id,
        3000,
        `the cut of ${session.id}`,
      );
      return { id: session.id, token: session.token, offset: session.offset ?? 0 };
    }

    /** Tries to resume a session; returns what the server answered, and closes cleanly. */
    async function resume(
      running: Fixture,
      cut: { id: string; token: string; offset: number },
    ): Promise<{ recovered: boolean; reason?: string; sameId: boolean; rooms: string[] }> {
      const { client, session } = await recoveryConnect(running, cut);
      const rooms = session.recovered ? await running.rooms.roomsOf(session.id) : [];
      // A deliberate close (1000) keeps no session.
      client.ws.close(1000);
      await client.waitClose();
      return {
        recovered: session.recovered,
        reason: session.reason,
        sameId: session.id === cut.id,
        rooms,
      };
    }

    it('maxSessionsPerAddress 3: ten connect-join-cut cycles from one address leave the three newest sessions', async () => {
      const running = await start({
        endpoint: '/ws',
        recovery: { windowMs: 60_000, maxSessionsPerAddress: 3 },
      });
      const cuts = [];
      for (let i = 0; i < 10; i++) cuts.push(await cutSession(running, [`room-${i}`, 'shared']));
      // Evicted, oldest first: the seven oldest are unknown now.
      for (const cut of cuts.slice(0, 7)) {
        expect(await resume(running, cut)).toEqual({
          recovered: false,
          reason: 'unknown-session',
          sameId: false,
          rooms: [],
        });
      }
      // The three newest resume with their id and rooms.
      for (const [offset, cut] of cuts.slice(7).entries()) {
        expect(await resume(running, cut)).toEqual({
          recovered: true,
          reason: undefined,
          sameId: true,
          rooms: expect.arrayContaining([`room-${7 + offset}`, 'shared']),
        });
      }
    });

    it('maxSessions 2: sessions beyond the node bound evict the oldest', async () => {
      const running = await start({
        endpoint: '/ws',
        recovery: { windowMs: 60_000, maxSessions: 2 },
      });
      const cuts = [];
      for (let i = 0; i < 4; i++) cuts.push(await cutSession(running, [`room-${i}`]));
      const outcomes = [];
      for (const cut of cuts) outcomes.push((await resume(running, cut)).recovered);
      expect(outcomes).toEqual([false, false, true, true]);
    });

    it('maxSessionBytes: sessions are counted in bytes; the oldest go first, and a session alone over the bound is not kept', async () => {
      // A kept session costs its id, token and room names (about two bytes a character) plus a
      // fixed overhead: one room of 120 characters makes a session of a few hundred bytes, so two
      // fit in 1200 bytes and three do not; ten such rooms are over 1200 bytes in any count.
      const running = await start({
        endpoint: '/ws',
        recovery: { windowMs: 60_000, maxSessionBytes: 1200 },
      });
      const room = (name: string) => name.padEnd(120, '.');
      const oldest = await cutSession(running, [room('a')]);
      const older = await cutSession(running, [room('b')]);
      const newer = await cutSession(running, [room('c')]);
      const huge = await cutSession(
        running,
        Array.from({ length: 10 }, (_, i) => room(`d${i}`)),
      );
      expect((await resume(running, oldest)).reason).toBe('unknown-session');
      expect((await resume(running, huge)).reason).toBe('unknown-session');
      expect(await resume(running, older)).toMatchObject({ recovered: true, sameId: true });
      expect(await resume(running, newer)).toMatchObject({ recovered: true, sameId: true });
    });
  });

  describe('item 5: durations come from a monotonic clock', () => {
    it('Date.now stepping back 5 s while 10 clients send within the rate cuts none of them', async () => {
      // 50 messages/s sustained, a bucket of 5: each client sends one message every 50 ms (20/s).
      const running = await start({ endpoint: '/ws', maxMessageRate: 50, maxMessageBurst: 5 });
      const members = await Promise.all(Array.from({ length: 10 }, () => connect(running)));
      const wallClock = Date.now;
      const rounds = 20;
      for (let round = 0; round < rounds; round++) {
        if (round === 5) jest.spyOn(Date, 'now').mockImplementation(() => wallClock() - 5000);
        const paced = new Promise((resolve) => setTimeout(resolve, 50));
        for (const { client } of members) client.emit('echo', `round-${round}`);
        // The echo, or whatever came instead of it (a rate-limit error).
        const answers = await Promise.all(
          members.map(({ client }) =>
            client.next((m) => m.event === 'echo' || m.event === 'ws-rooms:error'),
          ),
        );
        expect(answers.map((m) => [m.event, m.payload])).toEqual(
          members.map(() => ['echo', `round-${round}`]),
        );
        await paced;
      }
      expect(running.gateway.disconnects.items).toEqual([]);
      for (const { client } of members) expect(client.ws.readyState).toBe(WebSocket.OPEN);
    });

    it('Date.now stepping forward 60 s while pings are in flight does not make the heartbeat terminate healthy clients', async () => {
      // A ping every second; a pong is due within 3 s. The clients answer each ping after 500 ms,
      // well within it, and the clock steps forward while those first pongs are on their way.
      const running = await start({ endpoint: '/ws', pingPeriod: 1000, pongTimeout: 3000 });
      const members = await Promise.all(
        Array.from({ length: 3 }, () => connect(running, '/ws', { autoPong: false })),
      );
      const wallClock = Date.now;
      let stepped = false;
      const pings = members.map(({ client }) => {
        const seen = new Recorder<Buffer>();
        client.ws.on('ping', (data: Buffer) => {
          if (!stepped) {
            stepped = true;
            jest.spyOn(Date, 'now').mockImplementation(() => wallClock() + 60_000);
          }
          seen.push(data);
          setTimeout(() => client.ws.pong(data), 500);
        });
        return seen;
      });
      // The second ping of every client comes a period after its pong: it was kept alive.
      const closed = Promise.race(
        members.map(
          ({ client }) =>
            new Promise<string>((resolve) =>
              client.ws.once('close', (code: number) => resolve(`closed ${code}`)),
            ),
        ),
      );
      const outcome = await withTimeout(
        Promise.race([
          Promise.all(pings.map((seen) => seen.waitForCount(2, 6000))).then(() => 'pinged twice'),
          closed,
        ]),
        7000,
        'two pings for every client',
      );
      expect(outcome).toBe('pinged twice');
      expect(running.gateway.disconnects.items).toEqual([]);
      for (const { client } of members) {
        client.emit('echo', 'alive');
        expect((await client.nextEvent('echo')).payload).toBe('alive');
      }
    });
  });
});
