import { type DynamicModule, Logger, Module } from '@nestjs/common';
import WebSocket from 'ws';
import {
  ConnectedSocket,
  ConnectionsService,
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
import { eventually, ProtocolClient } from '../support/protocol-client';
import { type RunningApp, startApp } from '../support/test-app';
import { RoomMembershipHandlers } from '../support/room-membership.handlers';

const PREFIX = 'iris-websocket-message:';
/** An event name of exactly 16 bytes: the `maxEventNameLength` of the fixture below. */
const SIXTEEN = 'abcdefghijklmnop';

@WsRoomsGateway()
class LimitsGateway extends RoomMembershipHandlers implements OnWsConnection, OnWsDisconnect {
  readonly disconnects = new Map<string, DisconnectInfo>();
  /** Echo calls per connection id. */
  readonly echoes = new Map<string, number>();

  onWsConnection(connection: WsConnection): void {
    connection.emit('welcome', connection.id);
  }

  onWsDisconnect(connection: WsConnection, info: DisconnectInfo): void {
    this.disconnects.set(connection.id, info);
  }

  @OnEvent('echo')
  echo(@ConnectedSocket() connection: WsConnection, @MessageBody() value: string): string {
    this.echoes.set(connection.id, (this.echoes.get(connection.id) ?? 0) + 1);
    return value;
  }

  @OnEvent('throws')
  throws(): never {
    throw new Error('handler failure');
  }

  @OnEvent(SIXTEEN)
  sixteen(): string {
    return 'served';
  }

  @OnEvent('depth')
  depth(@MessageBody() value: unknown): number {
    let depth = 0;
    for (let node = value; Array.isArray(node) || (node !== null && typeof node === 'object');) {
      depth++;
      node = Array.isArray(node) ? node[0] : Object.values(node as object)[0];
    }
    return depth;
  }
}

@Module({})
class LimitsModule {
  static with(options: WsRoomsOptions): DynamicModule {
    return {
      module: LimitsModule,
      imports: [WsRoomsModule.forRoot(options)],
      providers: [LimitsGateway],
    };
  }
}

/** The error event a client received, decoded. */
async function nextError(
  client: ProtocolClient,
): Promise<{ code: string; message: string; event?: string }> {
  return JSON.parse((await client.nextEvent('ws-rooms:error')).payload!);
}

/** The connection is open and served. */
async function expectServed(client: ProtocolClient, text = 'still here'): Promise<void> {
  client.emit('echo', text);
  expect((await client.nextEvent('echo')).payload).toBe(text);
}

function pauseReading(client: ProtocolClient): void {
  (client.ws as any)._socket.pause();
}

function resumeReading(client: ProtocolClient): void {
  (client.ws as any)._socket.resume();
}

describe('limits: every per-connection limit over real sockets', () => {
  const apps: RunningApp[] = [];
  const clients: ProtocolClient[] = [];

  async function start(options: WsRoomsOptions): Promise<RunningApp & { gateway: LimitsGateway }> {
    const running = await startApp({ imports: [LimitsModule.with(options)] });
    apps.push(running);
    return Object.assign(running, { gateway: running.app.get(LimitsGateway) });
  }

  async function connect(running: RunningApp): Promise<{ client: ProtocolClient; id: string }> {
    const client = await ProtocolClient.connect(running.wsUrl('/ws'));
    clients.push(client);
    const welcome = await client.nextEvent('welcome');
    return { client, id: welcome.payload! };
  }

  async function joinRoom(client: ProtocolClient, room: string): Promise<void> {
    client.emit('join', room);
    expect(JSON.parse((await client.nextEvent('join')).payload!)).toContain(room);
  }

  afterEach(async () => {
    await Promise.all(
      clients.splice(0).map(async (client) => {
        if (client.ws.readyState === WebSocket.CLOSED) return;
        if ((client.ws as any)._socket?.isPaused()) client.ws.terminate();
        else client.ws.close();
        await client.waitClose();
      }),
    );
    await Promise.all(apps.splice(0).map((running) => running.close()));
  });

  describe('maxMessageSize', () => {
    it('a message of exactly the limit is served; one byte more closes with 1009', async () => {
      const running = await start({ endpoint: '/ws', maxMessageSize: 2048 });
      const { client, id } = await connect(running);
      const head = `${PREFIX}echo;0;`;
      const atLimit = 'a'.repeat(2048 - head.length);
      client.emit('echo', atLimit);
      expect((await client.nextEvent('echo')).payload).toBe(atLimit);
      client.emit('echo', atLimit + 'a');
      expect((await client.waitClose()).code).toBe(1009);
      await eventually(() => running.gateway.disconnects.has(id), 3000, 'the disconnect hook');
      expect(running.gateway.disconnects.get(id)).toMatchObject({
        code: 1009,
        initiator: 'server',
      });
      expect(running.app.get(ConnectionsService).count).toBe(0);
    });
  });

  describe('maxMessageRate / maxMessageBurst', () => {
    const rate = { maxMessageRate: 50, maxMessageBurst: 20 };

    it('a flood a whole burst past the bucket is closed with 1013 "message rate exceeded" after one RATE_LIMITED error; at most the bucket was served', async () => {
      const running = await start({ endpoint: '/ws', ...rate });
      const { client, id } = await connect(running);
      const started = performance.now();
      for (let i = 0; i < 200; i++) client.emit('echo', `m${i}`);
      expect(await client.waitClose()).toEqual({ code: 1013, reason: 'message rate exceeded' });
      // Handled: the bucket (20), plus the tokens refilled (50/s) while the flood was read.
      const refilled = Math.ceil(((performance.now() - started) * rate.maxMessageRate) / 1000);
      const witness = await connect(running);
      await expectServed(witness.client);
      const handled = running.gateway.echoes.get(id) ?? 0;
      expect(handled).toBeGreaterThanOrEqual(rate.maxMessageBurst);
      expect(handled).toBeLessThanOrEqual(rate.maxMessageBurst + refilled + 1);
      // The replies of the handled messages and the one error went out before the close frame.
      expect(client.eventsNamed('echo')).toHaveLength(handled);
      const errors = client.eventsNamed('ws-rooms:error').map((m) => JSON.parse(m.payload!));
      expect(errors).toEqual([expect.objectContaining({ code: 'WS_ROOMS_RATE_LIMITED' })]);
      await eventually(() => running.gateway.disconnects.has(id), 3000, 'the disconnect hook');
      const stats = running.app.get(ConnectionsService).stats();
      expect(stats.rateLimitCuts).toBe(1);
      expect(stats.messagesRefused).toBeGreaterThan(rate.maxMessageBurst);
      expect(running.gateway.disconnects.get(id)).toMatchObject({
        code: 1013,
        reason: 'message rate exceeded',
        initiator: 'server',
      });
    });

    it('a chatty client over the rate loses the excess, hears it once, and stays connected', async () => {
      const running = await start({ endpoint: '/ws', ...rate });
      const { client, id } = await connect(running);
      // 30 at once: the bucket (20) is served, the rest refused, fewer than a burst past the limit.
      const started = performance.now();
      for (let i = 0; i < 30; i++) client.emit('echo', `m${i}`);
      const error = await nextError(client);
      const refilled = Math.ceil(((performance.now() - started) * rate.maxMessageRate) / 1000);
      expect(error).toMatchObject({ code: 'WS_ROOMS_RATE_LIMITED' });
      await eventually(
        () => client.eventsNamed('echo').length >= rate.maxMessageBurst,
        3000,
        'echoes',
      );
      const handled = running.gateway.echoes.get(id) ?? 0;
      expect(handled).toBeLessThanOrEqual(rate.maxMessageBurst + refilled + 1);
      // Still open: once the bucket refills it is served again, and it was told only once.
      let servedAgain = false;
      for (let attempt = 0; attempt < 10 && !servedAgain; attempt++) {
        client.emit('echo', `later-${attempt}`);
        const echoed = await client
          .next((m) => m.payload === `later-${attempt}`, 300)
          .catch(() => null);
        servedAgain = echoed !== null;
      }
      expect(servedAgain).toBe(true);
      expect(client.eventsNamed('ws-rooms:error')).toHaveLength(1);
      expect(running.app.get(ConnectionsService).stats().rateLimitCuts).toBe(0);
      expect(running.gateway.disconnects.has(id)).toBe(false);
    });

    it('a client under the sustained rate is never cut, whatever its total', async () => {
      const running = await start({ endpoint: '/ws', ...rate });
      const { client } = await connect(running);
      // 60 messages, more than the bucket, each at least 30 ms apart (at most ~33/s against 50/s).
      for (let i = 0; i < 60; i++) {
        const paced = new Promise((resolve) => setTimeout(resolve, 30));
        client.emit('echo', `m${i}`);
        expect((await client.nextEvent('echo')).payload).toBe(`m${i}`);
        await paced;
      }
      await expectServed(client);
      expect(running.app.get(ConnectionsService).stats().rateLimitCuts).toBe(0);
    });

    it('the limit is per connection: a flooder is cut while its neighbour keeps being served', async () => {
      const running = await start({ endpoint: '/ws', ...rate });
      const flooder = await connect(running);
      const neighbour = await connect(running);
      for (let i = 0; i < 200; i++) flooder.client.emit('echo', `m${i}`);
      expect((await flooder.client.waitClose()).code).toBe(1013);
      await expectServed(neighbour.client);
    });
  });

  describe('maxRoomsPerConnection', () => {
    it('a join beyond the limit gets WS_ROOMS_ROOM_LIMIT; the rooms already joined are kept', async () => {
      const running = await start({ endpoint: '/ws', maxRoomsPerConnection: 3 });
      const { client, id } = await connect(running);
      for (const room of ['r1', 'r2', 'r3']) await joinRoom(client, room);
      client.emit('join', 'r4');
      const error = await nextError(client);
      expect(error).toMatchObject({ code: 'WS_ROOMS_ROOM_LIMIT', event: 'join' });
      const rooms = running.app.get(RoomsService);
      expect(await rooms.roomsOf(id)).toEqual(['r1', 'r2', 'r3']);
      expect(await rooms.members('r4')).toEqual([]);
      // Joining a room it is already in is no new room; leaving one makes space for another.
      await joinRoom(client, 'r2');
      client.emit('leave', 'r1');
      await client.nextEvent('leave');
      await joinRoom(client, 'r4');
      expect(await rooms.roomsOf(id)).toEqual(['r2', 'r3', 'r4']);
    });

    it('a room flood (thousands of joins) leaves at most the limit in the room index', async () => {
      const running = await start({
        endpoint: '/ws',
        maxRoomsPerConnection: 5,
        maxMessageRate: 0,
      });
      const { client, id } = await connect(running);
      for (let i = 0; i < 2000; i++) client.emit('join', `flood-${i}`);
      // The join handler is asynchronous: its error events may come after a later echo.
      await eventually(
        () => client.eventsNamed('ws-rooms:error').length >= 2000 - 5,
        5000,
        'an error event for every join beyond the limit',
      );
      await expectServed(client, 'after the flood');
      expect(client.eventsNamed('ws-rooms:error')).toHaveLength(2000 - 5);
      expect(await running.app.get(RoomsService).roomsOf(id)).toHaveLength(5);
      expect(await running.app.get(RoomsService).rooms()).toHaveLength(5);
    });
  });

  describe('maxEventNameLength', () => {
    it('a name of the limit is served; longer is WS_ROOMS_EVENT_NAME_TOO_LONG and the connection stays', async () => {
      const running = await start({
        endpoint: '/ws',
        maxEventNameLength: 16,
        maxMessageSize: 256 * 1024,
      });
      const { client } = await connect(running);
      client.emit(SIXTEEN, '');
      expect((await client.nextEvent(SIXTEEN)).payload).toBe('served');
      client.emit(`${SIXTEEN}q`, '');
      expect(await nextError(client)).toMatchObject({ code: 'WS_ROOMS_EVENT_NAME_TOO_LONG' });
      // A huge name is refused without being echoed back (no amplification, no log flooding).
      client.sendRaw(`${PREFIX}${'n'.repeat(200_000)};0;x`);
      const raw = await client.next((m) => m.event === 'ws-rooms:error');
      expect(JSON.parse(raw.payload!).code).toBe('WS_ROOMS_EVENT_NAME_TOO_LONG');
      expect(raw.raw.length).toBeLessThan(256);
      await expectServed(client);
      expect(running.app.get(ConnectionsService).stats().malformedMessages).toBe(2);
    });
  });

  describe('maxJsonDepth', () => {
    it('JSON at the limit is parsed; one level more is WS_ROOMS_JSON_TOO_DEEP', async () => {
      const running = await start({ endpoint: '/ws', maxJsonDepth: 8 });
      const { client } = await connect(running);
      client.send('depth', 4, '[[[[[[[[1]]]]]]]]');
      expect((await client.nextEvent('depth')).payload).toBe('8');
      client.send('depth', 4, '{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":1}}}}}}}}');
      expect((await client.nextEvent('depth')).payload).toBe('8');
      // Brackets inside strings are not nesting.
      client.send('depth', 4, `["${'['.repeat(50)}"]`);
      expect((await client.nextEvent('depth')).payload).toBe('1');
      client.send('depth', 4, '[[[[[[[[[1]]]]]]]]]');
      expect(await nextError(client)).toMatchObject({
        code: 'WS_ROOMS_JSON_TOO_DEEP',
        event: 'depth',
      });
      client.send('depth', 4, '{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":1}}}}}}}}}');
      expect((await nextError(client)).code).toBe('WS_ROOMS_JSON_TOO_DEEP');
      await expectServed(client);
    });

    it('a JSON bomb (100k nested arrays) is refused before parsing; the connection stays up', async () => {
      const running = await start({ endpoint: '/ws', maxMessageSize: 256 * 1024 });
      const { client } = await connect(running);
      const deep = 100_000;
      const startedAt = Date.now();
      // Unclosed too: the depth scan does not need valid JSON to refuse it.
      for (const bomb of [
        '['.repeat(deep) + ']'.repeat(deep),
        '['.repeat(deep),
        '{"a":'.repeat(deep / 5),
      ]) {
        client.send('depth', 4, bomb);
        expect((await nextError(client)).code).toBe('WS_ROOMS_JSON_TOO_DEEP');
      }
      expect(Date.now() - startedAt).toBeLessThan(2000);
      expect(client.eventsNamed('depth')).toHaveLength(0);
      await expectServed(client);
    });
  });

  describe('log flooding', () => {
    it('malformed messages, failing handlers and unknown events are counted and answered; only handler failures are logged, within a budget', async () => {
      const logged = [
        jest.spyOn(Logger.prototype, 'error'),
        jest.spyOn(Logger.prototype, 'warn'),
        jest.spyOn(Logger.prototype, 'log'),
      ];
      try {
        const running = await start({ endpoint: '/ws', maxMessageRate: 0, maxJsonDepth: 4 });
        const { client } = await connect(running);
        const before = logged.map((spy) => spy.mock.calls.length);
        for (let i = 0; i < 200; i++) {
          client.sendRaw(`${PREFIX}no-separator-${i}`);
          client.sendRaw(`${PREFIX}echo;7;unknown type`);
          client.send('depth', 4, '[[[[[[1]]]]]]');
          client.emit('throws', '');
          client.emit(`unknown-${i}`, '');
        }
        await eventually(
          () => client.eventsNamed('ws-rooms:error').length >= 800,
          5000,
          'an error event for every bad message',
        );
        await expectServed(client);
        const stats = running.app.get(ConnectionsService).stats();
        expect(stats).toMatchObject({
          malformedMessages: 600,
          handlerErrors: 200,
          unhandledEvents: 200,
        });
        expect(client.eventsNamed('ws-rooms:error')).toHaveLength(800);
        // 200 unexpected handler errors: the first ones are logged with the connection and the
        // event, then the log budget (20 lines per 10 s) holds the rest back.
        const [errors, warnings, lines] = logged.map((spy, i) => spy.mock.calls.length - before[i]);
        expect(errors).toBe(20);
        expect(String(logged[0].mock.calls.at(-1)![0])).toMatch(/handler of "throws" failed for /);
        expect([warnings, lines]).toEqual([0, 0]);
      } finally {
        for (const spy of logged) spy.mockRestore();
      }
    });
  });

  describe('slow consumers in a busy room', () => {
    /** Counts the `tick` events of a client and checks they arrive in order. */
    function tickCounter(client: ProtocolClient): { count: () => number; inOrder: () => boolean } {
      let count = 0;
      let inOrder = true;
      client.ws.on('message', (data: Buffer) => {
        const text = data.toString('latin1', 0, PREFIX.length + 16);
        if (!text.startsWith(`${PREFIX}tick;`)) return;
        const seq = Number(/tick;0;(\d+):/.exec(text)?.[1]);
        if (seq !== count) inOrder = false;
        count++;
      });
      return { count: () => count, inOrder: () => inOrder };
    }

    it('one paused member is cut with 1008 while the others receive every message', async () => {
      const maxBufferedBytes = 64 * 1024;
      const running = await start({ endpoint: '/ws', maxBufferedBytes, writeTimeout: 60_000 });
      const rooms = running.app.get(RoomsService);
      const members = await Promise.all([0, 1, 2, 3].map(() => connect(running)));
      for (const { client } of members) await joinRoom(client, 'busy');
      const [slow, ...readers] = members;
      const counters = readers.map(({ client }) => tickCounter(client));
      pauseReading(slow.client);

      const body = 'x'.repeat(4096);
      const batch = 8; // 32 KiB a turn, half of maxBufferedBytes: readers keep up, the paused one cannot
      let sent = 0;
      const maxTotal = 64 * 1024 * 1024;
      const afterCut = 40;
      let sentAtCut = -1;
      while (sentAtCut === -1 || sent < sentAtCut + afterCut) {
        if (sent * body.length > maxTotal) throw new Error('the paused member was never cut');
        for (let i = 0; i < batch; i++) rooms.to('busy').emit('tick', `${sent++}:${body}`);
        await eventually(
          () => counters.every((c) => c.count() === sent),
          5000,
          `readers to receive ${sent} ticks`,
        );
        if (sentAtCut === -1 && running.gateway.disconnects.has(slow.id)) sentAtCut = sent;
      }
      expect(running.gateway.disconnects.get(slow.id)).toEqual({
        code: 1008,
        reason: 'slow consumer',
        initiator: 'server',
      });
      const connections = running.app.get(ConnectionsService);
      expect(connections.stats().slowConsumerCuts).toBe(1);
      expect(connections.count).toBe(3);
      for (const counter of counters) {
        expect(counter.count()).toBe(sent);
        expect(counter.inOrder()).toBe(true);
      }
      for (const { id } of readers) expect(running.gateway.disconnects.has(id)).toBe(false);
      // Reading again, the cut member gets what was queued, then the close frame.
      resumeReading(slow.client);
      expect(await slow.client.waitClose(10_000)).toEqual({ code: 1008, reason: 'slow consumer' });
    });

    it('volatile sends to a backed-up member are dropped without cutting it', async () => {
      const maxBufferedBytes = 64 * 1024;
      const running = await start({ endpoint: '/ws', maxBufferedBytes, writeTimeout: 60_000 });
      const rooms = running.app.get(RoomsService);
      const connections = running.app.get(ConnectionsService);
      const members = await Promise.all([0, 1].map(() => connect(running)));
      for (const { client } of members) await joinRoom(client, 'live');
      const [backedUp, reader] = members;
      const counter = tickCounter(reader.client);
      pauseReading(backedUp.client);

      const body = 'v'.repeat(4096);
      let sent = 0;
      const maxTotal = 64 * 1024 * 1024;
      while (connections.stats().volatileDrops < 50) {
        if (sent * body.length > maxTotal) throw new Error('no volatile send was ever dropped');
        for (let i = 0; i < 8; i++) rooms.to('live').volatile.emit('tick', `${sent++}:${body}`);
        await eventually(() => counter.count() === sent, 5000, `the reader to get ${sent} ticks`);
        // Never cut on the way: a volatile send that does not fit is dropped, not fatal.
        expect(running.gateway.disconnects.size).toBe(0);
      }
      // Dropped for the backed-up member only, and it was not cut.
      expect(counter.inOrder()).toBe(true);
      expect(connections.stats().slowConsumerCuts).toBe(0);
      expect(connections.count).toBe(2);
      expect(running.gateway.disconnects.size).toBe(0);
      // Once it reads again, it is served as before.
      resumeReading(backedUp.client);
      await expectServed(backedUp.client, 'caught up');
      expect(backedUp.client.eventsNamed('tick').length).toBeLessThan(sent);
    });
  });
});
