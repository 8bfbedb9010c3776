import { Controller, type DynamicModule, Get, Injectable, Module } from '@nestjs/common';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import {
  ConnectedSocket,
  ConnectionsService,
  type DisconnectInfo,
  InjectConnections,
  MemoryRoomStore,
  MessageBody,
  OnEvent,
  OnMessage,
  type OnWsConnection,
  type OnWsDisconnect,
  type WsConnection,
  WsRoomsError,
  WsRoomsErrorCode,
  WsRoomsGateway,
  WsRoomsModule,
  type WsRoomsOptions,
} from 'ws-rooms';
import { eventually, ProtocolClient, withTimeout } from './support/protocol-client';
import { Recorder } from './support/recorder';
import { httpExchange, RawWebSocket, upgradeRequest } from './support/raw-socket';
import { PLATFORMS, type RunningApp, startAppOn } from './support/test-app';
import { RoomMembershipHandlers } from './support/room-membership.handlers';

interface DisconnectRecord {
  readonly id: string;
  readonly info: DisconnectInfo;
}

interface FloodRecord {
  readonly id: string;
  readonly sent: number;
  readonly openAfter: boolean;
  readonly queued: number;
}

interface FloodOrder {
  /** Bytes of payload per message. */
  readonly chunk: number;
  /** Stop once this many bytes wait in the socket's user-space buffer (the kernel's is full). */
  readonly stopAtQueued?: number;
  /** Upper bound of the bytes pushed, whatever happens. */
  readonly maxTotal: number;
}

/** The one gateway of the option fixtures: it reports everything the tests need to observe. */
@WsRoomsGateway()
class OptionsGateway extends RoomMembershipHandlers implements OnWsConnection, OnWsDisconnect {
  readonly disconnects = new Recorder<DisconnectRecord>();
  readonly floods = new Recorder<FloodRecord>();

  onWsConnection(connection: WsConnection): void {
    connection.emit('welcome', connection.id);
  }

  onWsDisconnect(connection: WsConnection, info: DisconnectInfo): void {
    this.disconnects.push({ id: connection.id, info });
  }

  @OnEvent('echo')
  echo(@MessageBody() value: string): string {
    return value;
  }

  @OnEvent('size')
  size(@MessageBody() value: string): number {
    return Buffer.byteLength(value);
  }

  @OnEvent('native')
  native(@ConnectedSocket() connection: WsConnection, @MessageBody() text: string): void {
    connection.emitMessage(text);
  }

  @OnEvent('headers')
  headers(@ConnectedSocket() connection: WsConnection): Record<string, unknown> {
    return {
      custom: connection.headers['x-custom'] ?? null,
      headerCount: Object.keys(connection.headers).length,
      hasRequest: connection.upgradeRequest !== undefined,
      url: connection.upgradeRequest?.url ?? null,
    };
  }

  /** Pushes large messages to a client that (in these tests) does not read them. */
  @OnEvent('flood')
  flood(@ConnectedSocket() connection: WsConnection, @MessageBody() order: FloodOrder): void {
    // The server-side socket is internal: the fixture reads it to stop once the kernel buffers are full.
    const socket = (connection as unknown as { socket: Duplex }).socket;
    const payload = 'x'.repeat(order.chunk);
    let sent = 0;
    while (
      connection.isOpen &&
      sent < order.maxTotal &&
      (order.stopAtQueued === undefined || socket.writableLength < order.stopAtQueued)
    ) {
      connection.emit('fill', payload);
      sent += order.chunk;
    }
    this.floods.push({
      id: connection.id,
      sent,
      openAfter: connection.isOpen,
      queued: socket.writableLength,
    });
  }

  @OnMessage()
  onNative(@ConnectedSocket() connection: WsConnection, @MessageBody() data: Buffer): void {
    connection.emit('native-echo', data.toString('utf8'));
  }
}

@Controller()
class HealthController {
  @Get('health')
  health(): string {
    return 'ok';
  }
}

/** One fixture module per scenario: the endpoint's options vary, the gateway does not. */
@Module({})
class OptionsFixtureModule {
  static with(options: WsRoomsOptions): DynamicModule {
    return {
      module: OptionsFixtureModule,
      imports: [WsRoomsModule.forRoot(options)],
      providers: [OptionsGateway],
      controllers: [HealthController],
    };
  }
}

const PREFIX = 'iris-websocket-message:';

interface Frame {
  readonly opcode: number;
  readonly payload: Buffer;
}

/** Splits unmasked server-to-client frames (RFC 6455 section 5.2). */
function parseFrames(bytes: Buffer): Frame[] {
  const frames: Frame[] = [];
  let offset = 0;
  while (offset + 2 <= bytes.length) {
    let length = bytes[offset + 1] & 0x7f;
    let header = 2;
    if (length === 126) {
      length = bytes.readUInt16BE(offset + 2);
      header = 4;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(offset + 2));
      header = 10;
    }
    if (offset + header + length > bytes.length) break;
    frames.push({
      opcode: bytes[offset] & 0x0f,
      payload: bytes.subarray(offset + header, offset + header + length),
    });
    offset += header + length;
  }
  return frames;
}

describe.each(PLATFORMS)('options on %s: each proves its effect on real sockets', (platform) => {
  const apps: RunningApp[] = [];
  const clients: ProtocolClient[] = [];
  const raws: RawWebSocket[] = [];

  async function start(options: WsRoomsOptions): Promise<RunningApp & { gateway: OptionsGateway }> {
    const running = await startAppOn(platform, { imports: [OptionsFixtureModule.with(options)] });
    apps.push(running);
    return Object.assign(running, { gateway: running.app.get(OptionsGateway) });
  }

  async function connect(
    running: RunningApp,
    path = '/ws',
    options: WebSocket.ClientOptions & { prefix?: string } = {},
  ): Promise<{ client: ProtocolClient; id: string }> {
    const client = await ProtocolClient.connect(running.wsUrl(path), options);
    clients.push(client);
    const welcome = await client.nextEvent('welcome');
    return { client, id: welcome.payload! };
  }

  function pause(client: ProtocolClient): void {
    (client.ws as any)._socket.pause();
  }

  function resume(client: ProtocolClient): void {
    (client.ws as any)._socket.resume();
  }

  afterEach(async () => {
    await Promise.all(
      clients.splice(0).map(async (client) => {
        if (client.ws.readyState === WebSocket.CLOSED) return;
        // A paused client cannot read a close frame: end it without the handshake.
        if ((client.ws as any)._socket?.isPaused()) client.ws.terminate();
        else client.ws.close();
        await client.waitClose();
      }),
    );
    for (const raw of raws.splice(0)) raw.destroy();
    await Promise.all(apps.splice(0).map((running) => running.close()));
  });

  describe('endpoint', () => {
    it('serves the upgrade only at its path (a query string is allowed); other paths get 404', async () => {
      const running = await start({ endpoint: '/chat' });
      const { id } = await connect(running, '/chat?token=abc');
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect((await upgradeRequest(running.port, '/chat')).status).toBe(101);
      for (const path of ['/other', '/chat/more', '/', '/ws']) {
        const answer = await upgradeRequest(running.port, path);
        expect({ path, status: answer.status, body: answer.body }).toEqual({
          path,
          status: 404,
          body: 'Not Found',
        });
      }
      await expect(ProtocolClient.connect(running.wsUrl('/other'))).rejects.toThrow('HTTP 404');
    });

    it('an empty endpoint disables the websocket server while the app still serves HTTP', async () => {
      const running = await start({ endpoint: '' });
      const health = await httpExchange(running.port, 'GET', '/health');
      expect([health.status, health.body]).toEqual([200, 'ok']);
      for (const path of ['/', '/ws']) {
        // Nobody listens for upgrades: the request is an ordinary GET, answered by the app's router.
        const answer = await upgradeRequest(running.port, path);
        expect(answer.status).toBe(404);
      }
      expect(running.app.get(ConnectionsService).count).toBe(0);
    });
  });

  describe('name', () => {
    @WsRoomsGateway({ endpoint: 'chat' })
    class ChatGateway {
      connections = 0;

      onWsConnection(connection: WsConnection): void {
        this.connections++;
        connection.emit('welcome', connection.id);
      }

      @OnEvent('who')
      who(@ConnectedSocket() connection: WsConnection): string {
        return `chat gateway on endpoint ${connection.endpoint}`;
      }

      @OnEvent('marker')
      marker(): string {
        return 'marker';
      }
    }

    @WsRoomsGateway()
    class DefaultEndpointGateway {
      connections = 0;

      onWsConnection(): void {
        this.connections++;
      }

      @OnEvent('who')
      who(): string {
        return 'default gateway';
      }
    }

    @Injectable()
    class ChatPresence {
      constructor(@InjectConnections('chat') readonly connections: ConnectionsService) {}
    }

    // A second endpoint (the default one): a gateway naming an endpoint that does not exist fails
    // the start-up (see module.e2e-spec.ts), so "only them" is shown between two endpoints.
    @Module({
      imports: [
        WsRoomsModule.forRoot({ endpoint: '/named', name: 'chat' }),
        WsRoomsModule.forRoot({ endpoint: '/other' }),
      ],
      providers: [ChatGateway, DefaultEndpointGateway, ChatPresence],
    })
    class NamedEndpointModule {}

    it('binds the gateways that name the endpoint, and only them', async () => {
      const running = await startAppOn(platform, { imports: [NamedEndpointModule] });
      apps.push(running);
      const { client } = await connect(running, '/named');
      client.emit('who', '');
      expect((await client.nextEvent('who')).payload).toBe('chat gateway on endpoint chat');
      client.emit('marker', '');
      await client.nextEvent('marker');
      // Replies come in message order: a second 'who' answer would have arrived before the marker.
      expect(client.eventsNamed('who')).toHaveLength(1);
      expect(running.app.get(ChatGateway).connections).toBe(1);
      expect(running.app.get(DefaultEndpointGateway).connections).toBe(0);
      expect(running.app.get(ChatPresence).connections.count).toBe(1);
    });
  });

  describe('prefix', () => {
    it('go-websocket-message: is used both ways; the default prefix becomes a native message', async () => {
      const running = await start({ endpoint: '/ws', prefix: 'go-websocket-message:' });
      const { client, id } = await connect(running, '/ws', { prefix: 'go-websocket-message:' });
      expect(client.received[0].raw.toString()).toBe(`go-websocket-message:welcome;0;${id}`);
      client.emit('echo', 'hello iris 6.0');
      const echo = await client.nextEvent('echo');
      expect(echo.raw.toString()).toBe('go-websocket-message:echo;0;hello iris 6.0');
      client.sendRaw(`${PREFIX}echo;0;not an event here`);
      const native = await client.nextEvent('native-echo');
      expect(native.payload).toBe(`${PREFIX}echo;0;not an event here`);
      expect(client.eventsNamed('echo')).toHaveLength(1);
    });
  });

  describe('slow consumers', () => {
    it('writeTimeout: a client that stops reading is cut with 1008 once its queue stalls for writeTimeout', async () => {
      const writeTimeout = 300;
      // maxBufferedBytes far above what is pushed: only the timeout can cut this connection.
      const running = await start({
        endpoint: '/ws',
        writeTimeout,
        maxBufferedBytes: 512 * 1024 * 1024,
      });
      const { client, id } = await connect(running);
      pause(client);
      const order: FloodOrder = {
        chunk: 256 * 1024,
        stopAtQueued: 1024 * 1024,
        maxTotal: 256 * 1024 * 1024,
      };
      client.send('flood', 4, JSON.stringify(order));
      const flood = await running.gateway.floods.waitFor((f) => f.id === id, 5000, 'the flood');
      const floodEnded = Date.now();
      expect(flood.openAfter).toBe(true);
      expect(flood.queued).toBeGreaterThanOrEqual(order.stopAtQueued!);

      const cut = await running.gateway.disconnects.waitFor(
        (d) => d.id === id,
        writeTimeout + 3000,
        'the cut',
      );
      expect(cut.info).toEqual({ code: 1008, reason: 'slow consumer', initiator: 'server' });
      expect(Date.now() - floodEnded).toBeGreaterThanOrEqual(writeTimeout - 5);
      const connections = running.app.get(ConnectionsService);
      expect(connections.count).toBe(0);
      expect(connections.stats().slowConsumerCuts).toBe(1);

      // The close frame waits behind the unread data: reading again reaches it.
      resume(client);
      expect(await client.waitClose(10_000)).toEqual({ code: 1008, reason: 'slow consumer' });
    });

    it('maxBufferedBytes: a send queue over the limit is cut with 1008 at once, long before writeTimeout', async () => {
      const running = await start({ endpoint: '/ws', maxBufferedBytes: 256 * 1024 });
      const { client, id } = await connect(running);
      pause(client);
      const order: FloodOrder = { chunk: 16 * 1024, maxTotal: 256 * 1024 * 1024 };
      client.send('flood', 4, JSON.stringify(order));
      const flood = await running.gateway.floods.waitFor((f) => f.id === id, 5000, 'the flood');
      // Cut during the push itself (writeTimeout is the default 15 s).
      expect(flood.openAfter).toBe(false);
      expect(flood.sent).toBeLessThan(order.maxTotal);
      expect(flood.queued).toBeLessThanOrEqual(256 * 1024 + 64);
      const cut = await running.gateway.disconnects.waitFor((d) => d.id === id, 1000, 'the cut');
      expect(cut.info).toEqual({ code: 1008, reason: 'slow consumer', initiator: 'server' });
      expect(running.app.get(ConnectionsService).stats().slowConsumerCuts).toBe(1);
      resume(client);
      expect(await client.waitClose(10_000)).toEqual({ code: 1008, reason: 'slow consumer' });
    });
  });

  describe('heartbeat', () => {
    const pongTimeout = 300;
    const pingPeriod = 100;

    function recordPings(client: ProtocolClient): Recorder<number> {
      const pings = new Recorder<number>();
      client.ws.on('ping', () => pings.push(Date.now()));
      return pings;
    }

    it('pongTimeout: a client that does not answer pings is terminated', async () => {
      const running = await start({ endpoint: '/ws', pongTimeout, pingPeriod });
      const { client, id } = await connect(running, '/ws', { autoPong: false });
      const pings = recordPings(client);
      const firstPing = await pings.waitFor(() => true, 2000, 'the first ping');
      const closed = await client.waitClose(3000);
      // Terminated without a close frame: a peer that ignores pings would not answer one.
      expect(closed.code).toBe(1006);
      expect(Date.now() - firstPing).toBeGreaterThanOrEqual(pongTimeout - 50);
      const gone = await running.gateway.disconnects.waitFor(
        (d) => d.id === id,
        1000,
        'disconnect hook',
      );
      expect(gone.info).toMatchObject({ code: 1006, reason: 'pong timeout', initiator: 'server' });
      expect(running.app.get(ConnectionsService).stats().pongTimeouts).toBe(1);
    });

    it('pongTimeout: a client that answers pings survives several ping periods', async () => {
      const running = await start({ endpoint: '/ws', pongTimeout, pingPeriod });
      const { client } = await connect(running);
      const pings = recordPings(client);
      // Five pings span at least 4 ping periods after the first: longer than pongTimeout.
      await pings.waitFor((_, index) => index === 4, 5000, 'five pings');
      expect(pings.items[4] - pings.items[0]).toBeGreaterThan(pongTimeout);
      expect(client.ws.readyState).toBe(WebSocket.OPEN);
      const connections = running.app.get(ConnectionsService);
      expect(connections.count).toBe(1);
      expect(connections.stats().pongTimeouts).toBe(0);
      client.emit('echo', 'still here');
      expect((await client.nextEvent('echo')).payload).toBe('still here');
    });

    it('pingPeriod: pings come every pingPeriod, not at the 9/10-of-pongTimeout default', async () => {
      const running = await start({ endpoint: '/ws', pongTimeout, pingPeriod });
      const { client } = await connect(running);
      const pings = recordPings(client);
      await pings.waitFor((_, index) => index === 4, 5000, 'five pings');
      const gaps = pings.items.slice(1, 5).map((at, i) => at - pings.items[i]);
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(pingPeriod - 20);
      const median = [...gaps].sort((a, b) => a - b)[2];
      // The default would be 270 ms here.
      expect(median).toBeLessThan(200);
    });
  });

  describe('maxMessageSize', () => {
    it('a message of exactly the limit passes; one byte more closes with 1009', async () => {
      const maxMessageSize = 100;
      const running = await start({ endpoint: '/ws', maxMessageSize });
      const { client, id } = await connect(running);
      const head = `${PREFIX}size;0;`;
      const fits = 'a'.repeat(maxMessageSize - Buffer.byteLength(head));
      client.sendRaw(head + fits);
      expect((await client.nextEvent('size')).payload).toBe(String(fits.length));
      client.sendRaw(head + fits + 'a');
      expect((await client.waitClose()).code).toBe(1009);
      const gone = await running.gateway.disconnects.waitFor(
        (d) => d.id === id,
        1000,
        'disconnect hook',
      );
      // A limit: the server ended it, with the code it sent (not the 1006 of a vanished peer).
      expect(gone.info).toEqual({ code: 1009, reason: '', initiator: 'server' });
    });
  });

  describe('binaryMessages', () => {
    it('true: events and native messages arrive in binary frames', async () => {
      const running = await start({ endpoint: '/ws', binaryMessages: true });
      const { client, id } = await connect(running);
      expect(client.received[0]).toMatchObject({ isBinary: true, event: 'welcome', payload: id });
      client.emit('echo', 'text value');
      expect(await client.nextEvent('echo')).toMatchObject({
        isBinary: true,
        payload: 'text value',
      });
      client.emit('native', 'raw text');
      const native = await client.next((m) => m.event === undefined);
      expect(native.isBinary).toBe(true);
      expect(native.raw.toString()).toBe('raw text');
    });

    it('false (the default): the same messages arrive in text frames', async () => {
      const running = await start({ endpoint: '/ws' });
      const { client } = await connect(running);
      expect(client.received[0].isBinary).toBe(false);
      client.emit('native', 'raw text');
      expect((await client.next((m) => m.event === undefined)).isBinary).toBe(false);
    });
  });

  describe('buffer sizes', () => {
    it('readBufferSize: a negative value fails start-up; a valid one is accepted and has no runtime effect', async () => {
      expect(() => WsRoomsModule.forRoot({ endpoint: '/ws', readBufferSize: -1 })).toThrow(
        new Error(
          'ws-rooms: invalid option: "readBufferSize" must be a non-negative integer, got -1',
        ),
      );
      const running = await start({ endpoint: '/ws', readBufferSize: 16 });
      const { client } = await connect(running);
      // Far larger than the read buffer size: nothing limits reads but maxMessageSize.
      const large = 'r'.repeat(10_000);
      client.emit('echo', large);
      expect((await client.nextEvent('echo')).payload).toBe(large);
    });

    it('writeBufferSize: zero and fractions fail start-up; a one-byte batch still delivers in order', async () => {
      expect(() => WsRoomsModule.forRoot({ endpoint: '/ws', writeBufferSize: 0 })).toThrow(
        new Error('ws-rooms: invalid option: "writeBufferSize" must be a positive integer, got 0'),
      );
      expect(() => WsRoomsModule.forRoot({ endpoint: '/ws', writeBufferSize: 1.5 })).toThrow(
        new Error(
          'ws-rooms: invalid option: "writeBufferSize" must be a positive integer, got 1.5',
        ),
      );
      const running = await start({ endpoint: '/ws', writeBufferSize: 1 });
      const { client } = await connect(running);
      for (let i = 0; i < 5; i++) client.emit('echo', `m${i}`);
      const got: string[] = [];
      for (let i = 0; i < 5; i++) got.push((await client.nextEvent('echo')).payload!);
      expect(got).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    });
  });

  describe('headers', () => {
    it('true (the default): the connection exposes the upgrade request and its headers', async () => {
      const running = await start({ endpoint: '/ws' });
      const { client } = await connect(running, '/ws?room=1', { headers: { 'X-Custom': 'hello' } });
      client.emit('headers', '');
      const info = JSON.parse((await client.nextEvent('headers')).payload!);
      expect(info).toMatchObject({ custom: 'hello', hasRequest: true, url: '/ws?room=1' });
      expect(info.headerCount).toBeGreaterThan(1);
    });

    it('false: headers are empty and the request is not kept', async () => {
      const running = await start({ endpoint: '/ws', headers: false });
      const { client } = await connect(running, '/ws', { headers: { 'X-Custom': 'hello' } });
      client.emit('headers', '');
      const info = JSON.parse((await client.nextEvent('headers')).payload!);
      expect(info).toEqual({ custom: null, headerCount: 0, hasRequest: false, url: null });
    });
  });

  describe('error', () => {
    it('a custom function answers a refused upgrade with its own status and body', async () => {
      const calls: { status: number; reason: string; url: string | undefined }[] = [];
      const running = await start({
        endpoint: '/ws',
        error: ({ request, socket }, status, reason) => {
          calls.push({ status, reason, url: request.url });
          const body = `custom refusal: ${status} ${reason}`;
          socket.end(
            'HTTP/1.1 418 I am a teapot\r\nConnection: close\r\nX-Refused-Because: origin\r\n' +
              `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
          );
        },
      });
      const answer = await upgradeRequest(running.port, '/ws?x=1', {
        Origin: 'https://evil.example',
      });
      expect(answer.status).toBe(418);
      expect(answer.headers['x-refused-because']).toBe('origin');
      expect(answer.body).toBe('custom refusal: 403 Origin not allowed');
      expect(calls).toEqual([{ status: 403, reason: 'Origin not allowed', url: '/ws?x=1' }]);
      expect(running.app.get(ConnectionsService).stats().upgradesRefused).toBe(1);
    });
  });

  describe('origins', () => {
    const sameOrigin = (running: RunningApp) => `http://127.0.0.1:${running.port}`;

    it('default policy: no Origin passes, same origin passes, any other origin gets 403', async () => {
      const running = await start({ endpoint: '/ws' });
      expect((await upgradeRequest(running.port, '/ws')).status).toBe(101);
      expect(
        (await upgradeRequest(running.port, '/ws', { Origin: sameOrigin(running) })).status,
      ).toBe(101);
      const refused = await upgradeRequest(running.port, '/ws', { Origin: 'http://other.example' });
      expect([refused.status, refused.body]).toEqual([403, 'Origin not allowed']);
      // A different port is a different origin.
      const otherPort = await upgradeRequest(running.port, '/ws', { Origin: 'http://127.0.0.1:1' });
      expect(otherPort.status).toBe(403);
    });

    it('allowedOrigins: exact origins pass (after normalisation), everything else gets 403', async () => {
      const running = await start({
        endpoint: '/ws',
        allowedOrigins: ['https://app.example:8443'],
      });
      const status = async (origin: string) =>
        (await upgradeRequest(running.port, '/ws', { Origin: origin })).status;
      expect(await status('https://app.example:8443')).toBe(101);
      expect(await status('HTTPS://APP.EXAMPLE:8443')).toBe(101);
      expect(await status('https://app.example')).toBe(403);
      expect(await status('http://app.example:8443')).toBe(403);
      expect(await status('https://evil-app.example:8443')).toBe(403);
      expect(await status('https://app.example.evil.test:8443')).toBe(403);
      // The allow list adds to the default policy, it does not replace it.
      expect(await status(sameOrigin(running))).toBe(101);
    });

    it('allowedOrigins "*": every origin passes', async () => {
      const running = await start({ endpoint: '/ws', allowedOrigins: ['*'] });
      for (const origin of ['http://anything.example', 'https://evil.example:1234']) {
        expect((await upgradeRequest(running.port, '/ws', { Origin: origin })).status).toBe(101);
      }
    });

    it('checkOrigin (sync) decides alone: what it refuses gets 403 even where the default would pass', async () => {
      const seen: (string | undefined)[] = [];
      const running = await start({
        endpoint: '/ws',
        allowedOrigins: ['https://listed.example'],
        checkOrigin: (request) => {
          seen.push(request.headers.origin);
          return request.headers.origin === 'https://partner.example';
        },
      });
      const status = async (origin?: string) =>
        (await upgradeRequest(running.port, '/ws', origin === undefined ? {} : { Origin: origin }))
          .status;
      expect(await status('https://partner.example')).toBe(101);
      expect(await status(undefined)).toBe(403);
      expect(await status(sameOrigin(running))).toBe(403);
      expect(await status('https://listed.example')).toBe(403);
      expect(seen).toEqual([
        'https://partner.example',
        undefined,
        sameOrigin(running),
        'https://listed.example',
      ]);
    });

    it('checkOrigin (async) is awaited before the upgrade is answered', async () => {
      const running = await start({
        endpoint: '/ws',
        checkOrigin: async (request) => {
          await new Promise((resolve) => setImmediate(resolve));
          return request.headers.origin === 'https://partner.example';
        },
      });
      const { client } = await connect(running, '/ws', { origin: 'https://partner.example' });
      client.emit('echo', 'accepted');
      expect((await client.nextEvent('echo')).payload).toBe('accepted');
      expect(
        (await upgradeRequest(running.port, '/ws', { Origin: 'https://other.example' })).status,
      ).toBe(403);
      expect((await upgradeRequest(running.port, '/ws')).status).toBe(403);
    });
  });

  describe('idGenerator', () => {
    it('custom ids are used, built from the upgrade request', async () => {
      const running = await start({
        endpoint: '/ws',
        idGenerator: (request) => `user-${request.headers['x-user']}`,
        isConnectionId: (name) => name.startsWith('user-'),
      });
      const alice = await connect(running, '/ws', { headers: { 'X-User': 'alice' } });
      const bob = await connect(running, '/ws', { headers: { 'X-User': 'bob' } });
      expect([alice.id, bob.id]).toEqual(['user-alice', 'user-bob']);
      expect(running.app.get(ConnectionsService).has('user-bob')).toBe(true);
    });

    it('an id already in use refuses the upgrade with 500; it is free again once its owner left', async () => {
      const running = await start({
        endpoint: '/ws',
        idGenerator: () => 'always-the-same',
        isConnectionId: (name) => name === 'always-the-same',
      });
      const first = await connect(running);
      expect(first.id).toBe('always-the-same');
      const refused = await upgradeRequest(running.port, '/ws');
      expect([refused.status, refused.body]).toEqual([500, 'Could not assign a connection id']);
      await first.client.close();
      await running.gateway.disconnects.waitFor(
        (d) => d.id === 'always-the-same',
        3000,
        'first disconnect',
      );
      const again = await connect(running);
      expect(again.id).toBe('always-the-same');
    });
  });

  describe('clientScriptPath', () => {
    it('a custom path serves the script, and the default path then serves nothing', async () => {
      const running = await start({ endpoint: '/ws', clientScriptPath: '/static/chat-client.js' });
      const script = await httpExchange(running.port, 'GET', '/static/chat-client.js');
      expect(script.status).toBe(200);
      expect(script.headers['content-type']).toBe('application/javascript; charset=utf-8');
      expect(script.body).toMatch(/^\/\*! ws-rooms /);
      expect((await httpExchange(running.port, 'GET', '/iris-ws.js')).status).toBe(404);
    });

    it('false serves no script', async () => {
      const running = await start({ endpoint: '/ws', clientScriptPath: false });
      expect((await httpExchange(running.port, 'GET', '/iris-ws.js')).status).toBe(404);
      expect((await httpExchange(running.port, 'GET', '/health')).status).toBe(200);
    });
  });

  describe('closeTimeout', () => {
    it('on app.close(), a client that never answers the close frame is destroyed after closeTimeout', async () => {
      const closeTimeout = 400;
      const running = await start({ endpoint: '/ws', closeTimeout });
      const raw = await RawWebSocket.open(running.port, '/ws');
      raws.push(raw);
      await eventually(() => parseFrames(raw.received).length >= 1, 3000, 'the welcome frame');
      const startedAt = Date.now();
      const closing = running.close();
      await withTimeout(raw.closed, closeTimeout + 3000, 'the raw socket to be destroyed');
      const destroyedAfter = Date.now() - startedAt;
      await withTimeout(closing, 3000, 'app.close()');
      expect(destroyedAfter).toBeGreaterThanOrEqual(closeTimeout - 20);
      const close = parseFrames(raw.received).find((frame) => frame.opcode === 0x8);
      expect(close?.payload.readUInt16BE(0)).toBe(1001);
      const [record] = running.gateway.disconnects.items;
      expect(record.info).toMatchObject({ code: 1001, initiator: 'server' });
    });
  });

  describe('onError', () => {
    it('is called with the typed error of a malformed message and the connection id', async () => {
      const errors = new Recorder<{ error: WsRoomsError; connectionId: string }>();
      const running = await start({
        endpoint: '/ws',
        onError: (error, connectionId) => errors.push({ error, connectionId }),
      });
      const { client, id } = await connect(running);
      client.sendRaw(`${PREFIX}no-separator`);
      const { error, connectionId } = await errors.waitFor(() => true, 3000, 'onError');
      expect(error).toBeInstanceOf(WsRoomsError);
      expect(error.code).toBe(WsRoomsErrorCode.MalformedMessage);
      expect(connectionId).toBe(id);
      // The client got the error event too, and the connection stays up.
      expect(JSON.parse((await client.nextEvent('ws-rooms:error')).payload!).code).toBe(
        'WS_ROOMS_MALFORMED_MESSAGE',
      );
      client.sendRaw(`${PREFIX}echo;9;unknown type`);
      expect((await errors.waitFor((_, index) => index === 1)).error.code).toBe(
        WsRoomsErrorCode.UnknownPayloadType,
      );
      client.emit('echo', 'alive');
      expect((await client.nextEvent('echo')).payload).toBe('alive');
    });
  });

  describe('store', () => {
    class RecordingStore extends MemoryRoomStore {
      readonly calls: string[] = [];

      override connected(connectionId: string): void {
        this.calls.push(`connected ${connectionId}`);
      }

      override joined(connectionId: string, room: string): void {
        this.calls.push(`joined ${connectionId} ${room}`);
      }

      override left(connectionId: string, room: string): void {
        this.calls.push(`left ${connectionId} ${room}`);
      }

      override disconnected(connectionId: string, rooms: readonly string[]): void {
        this.calls.push(`disconnected ${connectionId} [${rooms.join(',')}]`);
      }
    }

    it('a custom store is told about connections and memberships, and still answers queries', async () => {
      const store = new RecordingStore();
      const running = await start({
        endpoint: '/ws',
        store,
        idGenerator: () => 'conn-1',
        isConnectionId: (name) => name === 'conn-1',
      });
      const { client } = await connect(running);
      client.emit('join', 'a');
      expect(JSON.parse((await client.nextEvent('join')).payload!)).toEqual(['conn-1', 'a']);
      client.emit('join', 'b');
      await client.nextEvent('join');
      client.emit('leave', 'a');
      expect(JSON.parse((await client.nextEvent('leave')).payload!)).toEqual(['conn-1', 'b']);
      expect(await store.members('b')).toEqual({ value: ['conn-1'], partial: false });
      await client.close();
      await running.gateway.disconnects.waitFor((d) => d.id === 'conn-1', 3000, 'disconnect');
      expect(store.calls).toEqual([
        'connected conn-1',
        'joined conn-1 a',
        'joined conn-1 b',
        'left conn-1 a',
        'disconnected conn-1 [b]',
      ]);
    });
  });

  describe('start-up validation through the module', () => {
    const message =
      'ws-rooms: invalid option: "pingPeriod" (10) must be less than "pongTimeout" (5)';

    it('forRoot with pingPeriod >= pongTimeout makes app creation fail with an exact message', async () => {
      const create = async () =>
        startAppOn(platform, {
          imports: [WsRoomsModule.forRoot({ endpoint: '/x', pingPeriod: 10, pongTimeout: 5 })],
        });
      await expect(create()).rejects.toThrow(new Error(message));
      await expect(create()).rejects.toMatchObject({ code: WsRoomsErrorCode.InvalidOption });
    });

    it('forRootAsync reports the same error when the factory returns such options', async () => {
      const create = async () =>
        startAppOn(platform, {
          imports: [
            WsRoomsModule.forRootAsync({
              useFactory: () => ({ endpoint: '/x', pingPeriod: 10, pongTimeout: 5 }),
            }),
          ],
        });
      await expect(create()).rejects.toThrow(new Error(message));
    });
  });
});
