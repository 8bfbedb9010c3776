/**
 * Issue 15, hardening: one test over real sockets per fixed item, each written to fail without its
 * fix. This file holds what a hostile or unlucky client does on the wire (frames around a close,
 * opcodes, pings, the handshake and its headers); `hardening.e2e-spec.ts` holds the server's state.
 */
import { type DynamicModule, Module } from '@nestjs/common';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect as tcpConnect } from 'node:net';
import { performance } from 'node:perf_hooks';
import WebSocket, { WebSocketServer } from 'ws';
import {
  ConnectedSocket,
  getWsRoomsServerToken,
  MessageBody,
  MessageIsBinary,
  OnEvent,
  OnMessage,
  type OnWsConnection,
  type WsConnection,
  WsRoomsGateway,
  WsRoomsModule,
  type WsRoomsOptions,
} from 'ws-rooms';
import type { WsRoomsServer } from 'ws-rooms/internal';
import {
  buildFrame,
  closeCodeOf,
  closePayload,
  FrameSocket,
  Opcode,
  type ServerFrame,
} from '../support/frames';
import { ProtocolClient, withTimeout } from '../support/protocol-client';
import { upgradeRequest } from '../support/raw-socket';
import { Recorder } from '../support/recorder';
import { type RunningApp, startApp } from '../support/test-app';

const PREFIX = 'iris-websocket-message:';

/** An event echo, and a record of every connection. */
@WsRoomsGateway()
class WireGateway implements OnWsConnection {
  readonly connected = new Recorder<WsConnection>();

  onWsConnection(connection: WsConnection): void {
    this.connected.push(connection);
  }

  @OnEvent('echo')
  echo(@MessageBody() value: string): string {
    return value;
  }
}

/** A native echo written on the public gateway API: the frame kind goes back as it came. */
@WsRoomsGateway()
class NativeEchoGateway {
  @OnMessage()
  echo(
    @ConnectedSocket() connection: WsConnection,
    @MessageBody() data: Buffer,
    @MessageIsBinary() isBinary: boolean,
  ): void {
    connection.emitMessage(data, { binary: isBinary });
  }
}

/** How a fixture echoes native messages: not at all, by a gateway, or by `addNativeHandler`. */
type NativeEcho = 'none' | 'gateway' | 'addNativeHandler';

@Module({})
class WireModule {
  static with(options: WsRoomsOptions, nativeEcho: NativeEcho): DynamicModule {
    return {
      module: WireModule,
      imports: [WsRoomsModule.forRoot(options)],
      providers: nativeEcho === 'gateway' ? [WireGateway, NativeEchoGateway] : [WireGateway],
    };
  }
}

type Fixture = RunningApp & { gateway: WireGateway; server: WsRoomsServer };

/** A frame as a test compares it: opcode and payload (close frames by their code). */
function describeFrame(frame: ServerFrame): [number, string | number] {
  if (frame.opcode === Opcode.Close) return [frame.opcode, closeCodeOf(frame)];
  return [frame.opcode, frame.payload.toString('latin1')];
}

/** Every frame the server sent up to and including its close frame, bounded. */
async function framesUntilClose(socket: FrameSocket): Promise<[number, string | number][]> {
  await socket.closeFrame(5000);
  return socket.reader.frames.map(describeFrame);
}

/** A plain `ws` echo server, the reference a ws-rooms echo must behave like on the wire. */
async function startPlainEcho(): Promise<{ port: number; close(): Promise<void> }> {
  const http: Server = createServer();
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (ws) => {
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    port: (http.address() as AddressInfo).port,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => wss.close(resolve));
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

describe('hardening (issue 15): frames, opcodes, pings, the handshake and its headers', () => {
  const apps: RunningApp[] = [];
  const sockets: FrameSocket[] = [];
  const clients: ProtocolClient[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  /**
   * Starts an endpoint with the wire gateway; `nativeEcho` adds a native echo that answers each
   * native message in a frame of the kind it came in: a gateway's `@OnMessage()` method with
   * `@MessageIsBinary()`, or a handler given to the server's `addNativeHandler`.
   */
  async function start(options: WsRoomsOptions, nativeEcho: NativeEcho = 'none'): Promise<Fixture> {
    const running = await startApp({ imports: [WireModule.with(options, nativeEcho)] });
    apps.push(running);
    const server = running.app.get<WsRoomsServer>(getWsRoomsServerToken('default'));
    if (nativeEcho === 'addNativeHandler') {
      server.addNativeHandler((connection, data, isBinary) =>
        connection.emitMessage(data, { binary: isBinary }),
      );
    }
    return Object.assign(running, { gateway: running.app.get(WireGateway), server });
  }

  async function open(port: number, path = '/ws'): Promise<FrameSocket> {
    const socket = await FrameSocket.open(port, path);
    sockets.push(socket);
    return socket;
  }

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(
      clients.splice(0).map(async (client) => {
        if (client.ws.readyState === WebSocket.CLOSED) return;
        client.ws.terminate();
        await client.waitClose();
      }),
    );
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
    await Promise.all(apps.splice(0).map((running) => running.close()));
  });

  describe('item 7: frames queued before a close go out before it', () => {
    const eventMessage = `${PREFIX}echo;0;hello`;

    it('a message and a close 1000 in one TCP write: the echoes, then the close frame, in order', async () => {
      const running = await start({ endpoint: '/ws' }, 'gateway');
      const socket = await open(running.port);
      // An event message, a native message and the close, built by hand, sent in one write.
      socket.send(
        Buffer.concat([
          buildFrame({ opcode: Opcode.Text, payload: eventMessage }),
          buildFrame({ opcode: Opcode.Text, payload: 'native text' }),
          buildFrame({ opcode: Opcode.Close, payload: closePayload(1000) }),
        ]),
      );
      expect(await framesUntilClose(socket)).toEqual([
        [Opcode.Text, eventMessage],
        [Opcode.Text, 'native text'],
        [Opcode.Close, 1000],
      ]);
    });

    it('a message and a reserved opcode in one TCP write: the echoes, then the close 1002', async () => {
      const running = await start({ endpoint: '/ws' }, 'gateway');
      const socket = await open(running.port);
      socket.send(
        Buffer.concat([
          buildFrame({ opcode: Opcode.Text, payload: eventMessage }),
          buildFrame({ opcode: Opcode.Text, payload: 'native text' }),
          buildFrame({ opcode: 0x3, payload: 'reserved opcode' }),
        ]),
      );
      expect(await framesUntilClose(socket)).toEqual([
        [Opcode.Text, eventMessage],
        [Opcode.Text, 'native text'],
        [Opcode.Close, 1002],
      ]);
    });

    it('the same bytes to a plain ws echo server and to a ws-rooms native echo give the same frames', async () => {
      const running = await start({ endpoint: '/ws' }, 'gateway');
      const plain = await startPlainEcho();
      cleanups.push(plain.close);
      const sequences = [
        [Opcode.Close, closePayload(1000)],
        [0x3, Buffer.from('x')],
        [Opcode.Ping, Buffer.alloc(126)], // a control frame over 125 bytes
      ] as const;
      for (const [opcode, payload] of sequences) {
        const bytes = Buffer.concat([
          buildFrame({ opcode: Opcode.Text, payload: 'one' }),
          buildFrame({ opcode: Opcode.Binary, payload: Buffer.from([0xff, 0x00]) }),
          buildFrame({ opcode, payload }),
        ]);
        const answers = [];
        for (const port of [plain.port, running.port]) {
          const socket = await open(port, '/ws');
          socket.send(bytes);
          answers.push(await framesUntilClose(socket));
        }
        expect({ opcode, ws: answers[1] }).toEqual({ opcode, ws: answers[0] });
        expect(answers[0]).toHaveLength(3);
      }
    });
  });

  describe('item 8: native handlers get the opcode', () => {
    it.each<NativeEcho>(['gateway', 'addNativeHandler'])(
      'a native echo (%s) answers binary with binary (UTF-8 bytes and empty ones too) and text with text, like plain ws',
      async (nativeEcho) => {
        const running = await start({ endpoint: '/ws' }, nativeEcho);
        const plain = await startPlainEcho();
        cleanups.push(plain.close);
        const messages: [number, Buffer][] = [
          [Opcode.Binary, Buffer.from('valid UTF-8 text, sent as binary', 'utf8')],
          [Opcode.Binary, Buffer.alloc(0)],
          [Opcode.Binary, Buffer.from([0xc3, 0x28, 0x00, 0xff])],
          [Opcode.Text, Buffer.from('text stays text: é', 'utf8')],
          [Opcode.Text, Buffer.alloc(0)],
        ];
        const answers = [];
        for (const port of [plain.port, running.port]) {
          const socket = await open(port, '/ws');
          socket.send(
            Buffer.concat([
              ...messages.map(([opcode, payload]) => buildFrame({ opcode, payload })),
              buildFrame({ opcode: Opcode.Close, payload: closePayload(1000) }),
            ]),
          );
          answers.push(await framesUntilClose(socket));
        }
        const expected = [
          ...messages.map(([opcode, payload]) => [opcode, payload.toString('latin1')]),
          [Opcode.Close, 1000],
        ];
        expect(answers[0]).toEqual(expected);
        expect(answers[1]).toEqual(expected);
      },
    );
  });

  describe('item 9: the handshake is bounded in time and gives its slot back', () => {
    const never = () => new Promise<never>(() => undefined);

    it('handshakeTimeout 300 with an authenticate that never settles: 408 after about 300 ms', async () => {
      const running = await start({ endpoint: '/ws', handshakeTimeout: 300, authenticate: never });
      const startedAt = performance.now();
      const answer = await upgradeRequest(running.port, '/ws', {}, 3000);
      const elapsed = performance.now() - startedAt;
      expect([answer.status, answer.body]).toEqual([408, 'Request Timeout']);
      expect(elapsed).toBeGreaterThanOrEqual(280);
      expect(elapsed).toBeLessThan(1500);
      expect(running.gateway.connected.items).toEqual([]);
    });

    it('maxConnectionsPerAddress 1: a client that hangs up during a never-settling authenticate frees the slot at once', async () => {
      const waiting = new Recorder<IncomingMessage>();
      const running = await start({
        endpoint: '/ws',
        maxConnectionsPerAddress: 1,
        // Far longer than this test: only the hang-up can give the slot back.
        handshakeTimeout: 60_000,
        authenticate: (request: IncomingMessage) => {
          waiting.push(request);
          return request.headers['x-wait'] === '1' ? never() : { ok: true };
        },
      });
      const abandoned = tcpConnect({ host: '127.0.0.1', port: running.port });
      abandoned.on('error', () => undefined);
      abandoned.write(
        'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
          'X-Wait: 1\r\n\r\n',
      );
      const first = await waiting.waitForCount(1, 3000, 'the upgrade to reach authenticate');
      // The server has seen the hang-up once its side of the socket ends (the FIN) or closes.
      const hungUp = new Promise<void>((resolve) => {
        first.socket.once('end', resolve);
        first.socket.once('close', resolve);
      });
      abandoned.destroy();
      await withTimeout(hungUp, 3000, 'the server to see the hang-up');
      // The next upgrade from the same address is not refused for capacity: it reaches authenticate.
      const answer = await upgradeRequest(running.port, '/ws', {}, 3000);
      expect(answer.status).toBe(101);
      expect(waiting.items).toHaveLength(2);
    });
  });

  describe('item 12: pings are counted against the message rate', () => {
    const rate = { maxMessageRate: 1, maxMessageBurst: 5 };
    const pongs = (frames: [number, string | number][]) =>
      frames.filter(([opcode]) => opcode === Opcode.Pong).map(([, payload]) => payload);

    it('pings beyond maxMessageBurst go unanswered (one RATE_LIMITED error), the connection stays', async () => {
      const running = await start({ endpoint: '/ws', ...rate });
      const socket = await open(running.port);
      const pings = Array.from({ length: 8 }, (_, i) =>
        buildFrame({ opcode: Opcode.Ping, payload: `ping-${i}` }),
      );
      // The close frame behind the pings: everything the server answers comes before its close.
      socket.send(
        Buffer.concat([
          ...pings,
          buildFrame({ opcode: Opcode.Close, payload: closePayload(1000) }),
        ]),
      );
      const frames = await framesUntilClose(socket);
      expect(pongs(frames)).toEqual(['ping-0', 'ping-1', 'ping-2', 'ping-3', 'ping-4']);
      const errors = frames.filter(
        ([opcode, payload]) => opcode === Opcode.Text && String(payload).includes('ws-rooms:error'),
      );
      expect(errors).toHaveLength(1);
      expect(String(errors[0][1])).toContain('WS_ROOMS_RATE_LIMITED');
      expect(frames.at(-1)).toEqual([Opcode.Close, 1000]);
    });

    it('a ping flood a whole burst past the limit is closed with 1013', async () => {
      const running = await start({ endpoint: '/ws', ...rate });
      const socket = await open(running.port);
      socket.send(
        Buffer.concat(
          Array.from({ length: 40 }, (_, i) =>
            buildFrame({ opcode: Opcode.Ping, payload: `ping-${i}` }),
          ),
        ),
      );
      const close = await socket.closeFrame(3000);
      expect(close).toEqual({ code: 1013, reason: 'message rate exceeded' });
      expect(pongs(socket.reader.frames.map(describeFrame))).toHaveLength(rate.maxMessageBurst);
    });
  });

  describe('item 15: a connection keeps a bounded part of its upgrade request', () => {
    /** 30 headers of 500 bytes each: 15 KB, under Node's 16 KiB limit for a request head. */
    const padding = Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [
        `X-Pad-${String(i).padStart(2, '0')}`,
        'p'.repeat(500),
      ]),
    );
    const bytesOf = (headers: Record<string, unknown>) =>
      Object.entries(headers).reduce(
        (sum, [name, value]) =>
          sum + name.length + (Array.isArray(value) ? value.join(', ') : String(value)).length,
        0,
      );

    async function connectedWith(running: Fixture): Promise<WsConnection> {
      const client = await ProtocolClient.connect(running.wsUrl('/ws'), {
        headers: { 'X-User': 'alice', ...padding },
      });
      clients.push(client);
      return running.gateway.connected.waitForCount(1, 3000, 'the connection');
    }

    it('15 KB of extra headers: connection.headers keeps at most maxHeaderBytes (default 4096) of names and values', async () => {
      const running = await start({ endpoint: '/ws' });
      const connection = await connectedWith(running);
      const kept = connection.headers as Record<string, unknown>;
      expect(bytesOf(kept)).toBeLessThanOrEqual(4096);
      // Not vacuous: headers are kept in the order they came, whole, while they fit.
      expect(kept['x-user']).toBe('alice');
      const pads = Object.keys(kept).filter((name) => name.startsWith('x-pad-'));
      expect(pads.length).toBeGreaterThan(0);
      expect(pads.length).toBeLessThan(30);
      for (const name of pads) expect(kept[name]).toBe('p'.repeat(500));
    });

    it("headers: ['x-user'] keeps only that header", async () => {
      const running = await start({ endpoint: '/ws', headers: ['x-user'] });
      const connection = await connectedWith(running);
      expect({ ...connection.headers }).toEqual({ 'x-user': 'alice' });
    });
  });
});
