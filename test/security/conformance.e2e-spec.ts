import { type DynamicModule, Module } from '@nestjs/common';
import { connect } from 'node:net';
import { constants as zlibConstants, deflateRawSync, inflateRawSync } from 'node:zlib';
import {
  ConnectionsService,
  type DisconnectInfo,
  MessageBody,
  OnEvent,
  type OnWsDisconnect,
  type WsConnection,
  WsRoomsGateway,
  WsRoomsModule,
  type WsRoomsOptions,
} from 'ws-rooms';
import { buildFrame, closePayload, FrameSocket, Opcode } from '../support/frames';
import { eventually, ProtocolClient, withTimeout } from '../support/protocol-client';
import { upgradeRequest } from '../support/raw-socket';
import { type RunningApp, startApp } from '../support/test-app';

const PREFIX = 'iris-websocket-message:';
const MAX_MESSAGE_SIZE = 1024;

@WsRoomsGateway()
class ConformanceGateway implements OnWsDisconnect {
  readonly disconnects: DisconnectInfo[] = [];

  onWsDisconnect(_connection: WsConnection, info: DisconnectInfo): void {
    this.disconnects.push(info);
  }

  @OnEvent('echo')
  echo(@MessageBody() value: string): string {
    return value;
  }

  @OnEvent('size')
  size(@MessageBody() value: string): number {
    return Buffer.byteLength(value);
  }
}

@Module({})
class ConformanceModule {
  static with(options: WsRoomsOptions): DynamicModule {
    return {
      module: ConformanceModule,
      imports: [WsRoomsModule.forRoot(options)],
      providers: [ConformanceGateway],
    };
  }
}

/** Sends raw bytes on a fresh TCP connection and reads everything until the server closes it. */
function rawHttp(
  port: number,
  request: string,
  timeoutMs = 3000,
): Promise<{ status: number; head: string; body: string }> {
  return withTimeout(
    new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.once('error', reject);
      socket.once('close', () => {
        const text = Buffer.concat(chunks).toString('latin1');
        const end = text.indexOf('\r\n\r\n');
        const head = end === -1 ? text : text.slice(0, end);
        resolve({
          status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0),
          head,
          body: end === -1 ? '' : text.slice(end + 4),
        });
      });
      socket.once('connect', () => socket.write(request));
    }),
    timeoutMs,
    'raw HTTP exchange',
  );
}

function textFrame(text: string | Buffer, fin = true): Buffer {
  return buildFrame({ opcode: Opcode.Text, payload: text, fin });
}

describe('conformance: hand-made frames over raw TCP', () => {
  let running: RunningApp;
  let gateway: ConformanceGateway;
  const sockets: FrameSocket[] = [];
  const clients: ProtocolClient[] = [];

  async function open(headers: Record<string, string> = {}, app = running): Promise<FrameSocket> {
    const socket = await FrameSocket.open(app.port, '/ws', headers);
    sockets.push(socket);
    return socket;
  }

  /** Proves a connection is open and served: an event message gets its reply. */
  async function probe(socket: FrameSocket, text = 'probe'): Promise<void> {
    socket.send(textFrame(`${PREFIX}echo;0;${text}`));
    const reply = await socket.next(
      (f) => f.opcode === Opcode.Text && f.payload.toString() === `${PREFIX}echo;0;${text}`,
    );
    expect(reply.fin).toBe(true);
  }

  /** Another, ordinary client is served (the server survived whatever came before). */
  async function anotherClientIsServed(app = running): Promise<void> {
    const client = await ProtocolClient.connect(app.wsUrl('/ws'));
    clients.push(client);
    client.emit('echo', 'still serving');
    expect((await client.nextEvent('echo')).payload).toBe('still serving');
  }

  /** Sends the frames on a fresh connection and returns the close code the server answers with. */
  async function closeCodeFor(...frames: Buffer[]): Promise<number> {
    const socket = await open();
    socket.send(...frames);
    const { code } = await socket.closeFrame();
    // The server also ends the TCP connection (the close handshake, or closeTimeout, bounds it).
    socket.send(buildFrame({ opcode: Opcode.Close, payload: closePayload(code) }));
    await withTimeout(socket.closed, 3000, 'the server to end the TCP connection');
    return code;
  }

  beforeAll(async () => {
    running = await startApp({
      imports: [
        ConformanceModule.with({
          endpoint: '/ws',
          maxMessageSize: MAX_MESSAGE_SIZE,
          // This suite makes about 48 upgrades from 127.0.0.1 to this one app, more than the default
          // burst of 40: with the default per-address rate limit, whether the last ones got 101 or
          // 429 depended on how long the flood tests took to refill the bucket. The limit is not
          // what is tested here (connection-rate.e2e-spec.ts is), so it is off.
          maxConnectionRatePerAddress: 0,
        }),
      ],
    });
    gateway = running.app.get(ConformanceGateway);
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await eventually(() => running.app.get(ConnectionsService).count === 0, 3000, 'no connections');
    gateway.disconnects.length = 0;
  });

  afterAll(async () => {
    await running.close();
  });

  describe('the frame builder speaks valid websocket (so the refusals below mean something)', () => {
    it('a masked text frame, and a text message in three fragments with a ping between, are served', async () => {
      const socket = await open();
      await probe(socket, 'single');
      const message = `${PREFIX}echo;0;fragmented`;
      socket.send(
        textFrame(message.slice(0, 10), false),
        buildFrame({ opcode: Opcode.Ping, payload: 'between' }),
        buildFrame({ opcode: Opcode.Continuation, payload: message.slice(10, 20), fin: false }),
        buildFrame({ opcode: Opcode.Continuation, payload: message.slice(20) }),
      );
      const pong = await socket.next((f) => f.opcode === Opcode.Pong);
      expect(pong.payload.toString()).toBe('between');
      const echo = await socket.next((f) => f.opcode === Opcode.Text);
      expect(echo.payload.toString()).toBe(message);
      // Server frames are never masked (RFC 6455 section 5.1).
      expect(socket.reader.frames.every((f) => !f.masked)).toBe(true);
    });

    it('a client close 1000 is answered with close 1000 and the TCP connection ends', async () => {
      expect(
        await closeCodeFor(buildFrame({ opcode: Opcode.Close, payload: closePayload(1000) })),
      ).toBe(1000);
      await eventually(() => gateway.disconnects.length === 1, 3000, 'the disconnect hook');
      expect(gateway.disconnects[0]).toMatchObject({ code: 1000, initiator: 'client' });
    });
  });

  describe('malformed frames close the connection with the RFC close code', () => {
    it('invalid UTF-8 in a text frame: 1007, the disconnect hook sees 1007', async () => {
      const invalid = Buffer.concat([Buffer.from(`${PREFIX}echo;0;`), Buffer.from([0xc3, 0x28])]);
      expect(await closeCodeFor(textFrame(invalid))).toBe(1007);
      await eventually(() => gateway.disconnects.length === 1, 3000, 'the disconnect hook');
      expect(gateway.disconnects[0]).toMatchObject({ code: 1007, initiator: 'server' });
    });

    it('invalid UTF-8 split across fragments (a lone lead byte at the end): 1007', async () => {
      expect(
        await closeCodeFor(
          textFrame(`${PREFIX}echo;0;`, false),
          buildFrame({ opcode: Opcode.Continuation, payload: Buffer.from([0xe2, 0x82]) }),
        ),
      ).toBe(1007);
    });

    it('a frame at maxMessageSize is served; one byte more is closed with 1009', async () => {
      const head = `${PREFIX}size;0;`;
      const socket = await open();
      socket.send(textFrame(head + 'a'.repeat(MAX_MESSAGE_SIZE - head.length)));
      const size = await socket.next((f) => f.opcode === Opcode.Text);
      expect(size.payload.toString()).toBe(`${PREFIX}size;1;${MAX_MESSAGE_SIZE - head.length}`);
      expect(
        await closeCodeFor(textFrame(head + 'a'.repeat(MAX_MESSAGE_SIZE + 1 - head.length))),
      ).toBe(1009);
    });

    it('a header announcing a huge frame is closed with 1009 before any payload arrives', async () => {
      for (const declaredLength of [MAX_MESSAGE_SIZE + 1, 2 ** 40, 2n ** 63n]) {
        const header = buildFrame({ opcode: Opcode.Binary, declaredLength, payload: '' });
        expect({ declaredLength, code: await closeCodeFor(header) }).toEqual({
          declaredLength,
          code: 1009,
        });
      }
    });

    it('fragments that add up to more than maxMessageSize: 1009', async () => {
      const half = 'b'.repeat(MAX_MESSAGE_SIZE / 2 + 1);
      expect(
        await closeCodeFor(
          textFrame(`${PREFIX}echo;0;${half}`, false),
          buildFrame({ opcode: Opcode.Continuation, payload: half }),
        ),
      ).toBe(1009);
    });

    it('an unmasked client frame: 1002', async () => {
      expect(
        await closeCodeFor(
          buildFrame({ opcode: Opcode.Text, payload: `${PREFIX}echo;0;x`, mask: false }),
        ),
      ).toBe(1002);
    });

    it.each([
      ['RSV1 (no extension negotiated)', { rsv1: true }],
      ['RSV2', { rsv2: true }],
      ['RSV3', { rsv3: true }],
    ])('%s set on a data frame: 1002', async (_name, bits) => {
      expect(
        await closeCodeFor(
          buildFrame({ opcode: Opcode.Text, payload: `${PREFIX}echo;0;x`, ...bits }),
        ),
      ).toBe(1002);
    });

    it.each(['0x3', '0x7', '0xB', '0xF'])('unknown opcode %s: 1002', async (opcode) => {
      expect(await closeCodeFor(buildFrame({ opcode: Number(opcode), payload: 'x' }))).toBe(1002);
    });

    it('a fragmented control frame (ping with FIN=0): 1002', async () => {
      expect(
        await closeCodeFor(buildFrame({ opcode: Opcode.Ping, payload: 'p', fin: false })),
      ).toBe(1002);
    });

    it('a control frame with a payload over 125 bytes: 1002', async () => {
      expect(
        await closeCodeFor(buildFrame({ opcode: Opcode.Ping, payload: 'p'.repeat(126) })),
      ).toBe(1002);
    });

    it('a continuation frame with no message to continue: 1002', async () => {
      expect(await closeCodeFor(buildFrame({ opcode: Opcode.Continuation, payload: 'x' }))).toBe(
        1002,
      );
    });

    it('a new data frame while a fragmented message is open: 1002', async () => {
      expect(await closeCodeFor(textFrame('first', false), textFrame('second'))).toBe(1002);
    });

    it.each([999, 1004, 1005, 1006, 1015, 1016, 2999, 5000])(
      'a close frame with the invalid code %i: 1002',
      async (code) => {
        expect(
          await closeCodeFor(buildFrame({ opcode: Opcode.Close, payload: closePayload(code) })),
        ).toBe(1002);
      },
    );

    it('a close frame with a one-byte payload: 1002', async () => {
      expect(
        await closeCodeFor(buildFrame({ opcode: Opcode.Close, payload: Buffer.from([3]) })),
      ).toBe(1002);
    });
  });

  describe('control frames', () => {
    it('a ping with a payload is answered by a pong with the same payload; the connection stays up', async () => {
      const socket = await open();
      const payload = Buffer.from([0, 1, 2, 0xff, 0xfe, ...Buffer.from('ping body')]);
      socket.send(buildFrame({ opcode: Opcode.Ping, payload }));
      const pong = await socket.next((f) => f.opcode === Opcode.Pong);
      expect(pong.payload).toEqual(payload);
      expect(pong.fin).toBe(true);
      await probe(socket);
    });

    it('an unsolicited pong is ignored', async () => {
      const socket = await open();
      socket.send(buildFrame({ opcode: Opcode.Pong, payload: 'unasked' }));
      await probe(socket);
    });
  });

  describe('fragment floods', () => {
    it('100k one-byte continuation fragments: closed with 1008 (maxFragments), memory bounded, others served', async () => {
      const socket = await open();
      await probe(socket);
      const count = 100_000;
      const fragments: Buffer[] = [textFrame('x', false)];
      const continuation = buildFrame({ opcode: Opcode.Continuation, payload: 'x', fin: false });
      for (let i = 1; i < count; i++) fragments.push(continuation);
      const flood = Buffer.concat(fragments);
      fragments.length = 0;
      const heapBefore = process.memoryUsage().heapUsed;
      socket.send(flood);
      const { code } = await socket.closeFrame(5000);
      const heapDelta = process.memoryUsage().heapUsed - heapBefore;
      // ws' maxFragments, derived from maxMessageSize (1024 / 64 => 16 fragments), stops it long
      // before the 1-byte fragments reach maxMessageSize (1009 would mean only the size limit held).
      expect(code).toBe(1008);
      expect(heapDelta).toBeLessThan(64 * 1024 * 1024);
      await eventually(() => gateway.disconnects.length === 1, 3000, 'the disconnect hook');
      expect(gateway.disconnects[0]).toMatchObject({ code: 1008, initiator: 'server' });
      await anotherClientIsServed();
    });
  });

  describe('ping floods', () => {
    it('pings from a client that never reads the pongs: the connection is ended, the pongs do not pile up', async () => {
      const socket = await open();
      await probe(socket);
      socket.socket.pause(); // never read a pong
      const ping = buildFrame({ opcode: Opcode.Ping, payload: Buffer.alloc(125, 1) });
      const batch = Buffer.concat(Array.from({ length: 1000 }, () => ping));
      let ended = false;
      void socket.closed.then(() => (ended = true));
      const [connection] = [...running.app.get(ConnectionsService).values()] as unknown as {
        socket: { writableLength: number };
      }[];
      let mostQueued = 0;
      // Up to 12 MiB of pings (~100k), far more than the server may answer without being read.
      for (let i = 0; i < 100 && !ended && !socket.socket.destroyed; i++) {
        socket.socket.write(batch);
        mostQueued = Math.max(mostQueued, connection.socket.writableLength);
        await new Promise((resolve) => setImmediate(resolve));
      }
      // Pings count against maxMessageRate: past the burst they go unanswered, and a client that
      // keeps pinging a whole burst past the limit is closed with 1013 (try again later).
      await eventually(() => gateway.disconnects.length === 1, 3000, 'the disconnect hook');
      expect(gateway.disconnects[0].code).toBe(1013);
      expect(mostQueued).toBeLessThan(64 * 1024);
      await anotherClientIsServed();
    });

    it('unsolicited pongs count against the message rate too: a pong flood is closed with 1013', async () => {
      const socket = await open();
      await probe(socket);
      const pong = buildFrame({ opcode: Opcode.Pong, payload: Buffer.alloc(16, 2) });
      // The default burst is 200 and a flood is cut a whole burst past it: 1000 pongs are plenty.
      socket.socket.write(Buffer.concat(Array.from({ length: 1000 }, () => pong)));
      await eventually(() => gateway.disconnects.length === 1, 3000, 'the disconnect hook');
      expect(gateway.disconnects[0].code).toBe(1013);
      await anotherClientIsServed();
    });
  });

  describe('opening handshake', () => {
    it('a missing Sec-WebSocket-Key gets 400 from ws', async () => {
      const answer = await upgradeRequest(running.port, '/ws', { 'Sec-WebSocket-Key': undefined });
      expect([answer.status, answer.body]).toEqual([
        400,
        'Missing or invalid Sec-WebSocket-Key header',
      ]);
    });

    it('a malformed Sec-WebSocket-Key gets 400', async () => {
      const answer = await upgradeRequest(running.port, '/ws', { 'Sec-WebSocket-Key': 'short' });
      expect(answer.status).toBe(400);
    });

    it('an unsupported Sec-WebSocket-Version gets 400 naming the supported versions', async () => {
      for (const version of ['12', 'abc', undefined]) {
        const answer = await upgradeRequest(running.port, '/ws', {
          'Sec-WebSocket-Version': version,
        });
        expect({ version, status: answer.status }).toEqual({ version, status: 400 });
        expect(answer.headers['sec-websocket-version']).toBe('13, 8');
      }
    });

    it('an Upgrade header that is not websocket gets 400', async () => {
      const answer = await upgradeRequest(running.port, '/ws', { Upgrade: 'h2c' });
      expect([answer.status, answer.body]).toEqual([400, 'Invalid Upgrade header']);
    });

    it('an upgrade that is not a GET gets 405 and is never upgraded', async () => {
      const key = 'dGhlIHNhbXBsZSBub25jZQ==';
      const opened = running.app.get(ConnectionsService).stats().connectionsOpened;
      const answer = await rawHttp(
        running.port,
        `POST /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\nContent-Length: 0\r\n\r\n`,
      );
      expect([answer.status, answer.body]).toEqual([405, 'Invalid HTTP method']);
      expect(running.app.get(ConnectionsService).stats().connectionsOpened).toBe(opened);
    });

    it('an upgrade to another path gets 404 at once and the socket is closed (no hang)', async () => {
      // rawHttp resolves when the server ends the connection, and fails if it has not within its
      // bound: a socket left hanging fails here, whatever the load on the machine.
      const answer = await rawHttp(
        running.port,
        'GET /not-the-endpoint HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n' +
          'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
      expect([answer.status, answer.body]).toEqual([404, 'Not Found']);
    });
  });

  describe('permessage-deflate', () => {
    const offer = 'permessage-deflate; client_max_window_bits';

    it('is off by default: an offer is not accepted (no Sec-WebSocket-Extensions in the 101)', async () => {
      const answer = await upgradeRequest(running.port, '/ws', {
        'Sec-WebSocket-Extensions': offer,
      });
      expect(answer.status).toBe(101);
      expect(answer.headers['sec-websocket-extensions']).toBeUndefined();
      // And a compressed frame (RSV1) is then a protocol error.
      const socket = await open({ 'Sec-WebSocket-Extensions': offer });
      expect(socket.handshakeHeaders['sec-websocket-extensions']).toBeUndefined();
      socket.send(
        buildFrame({
          opcode: Opcode.Text,
          rsv1: true,
          payload: deflateRawSync(`${PREFIX}echo;0;x`, {
            finishFlush: zlibConstants.Z_SYNC_FLUSH,
          }).subarray(0, -4),
        }),
      );
      expect((await socket.closeFrame()).code).toBe(1002);
    });

    describe('when enabled', () => {
      let deflating: RunningApp;

      beforeAll(async () => {
        deflating = await startApp({
          imports: [
            ConformanceModule.with({
              endpoint: '/ws',
              maxMessageSize: MAX_MESSAGE_SIZE,
              perMessageDeflate: true,
            }),
          ],
        });
      });

      afterAll(async () => {
        await deflating.close();
      });

      /** A compressed message body as permessage-deflate sends it (RFC 7692 section 7.2.1). */
      function deflateMessage(data: Buffer | string): Buffer {
        const compressed = deflateRawSync(data, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
        expect(compressed.subarray(-4)).toEqual(Buffer.from([0x00, 0x00, 0xff, 0xff]));
        return compressed.subarray(0, -4);
      }

      it('negotiates it and serves a compressed message', async () => {
        const socket = await open({ 'Sec-WebSocket-Extensions': offer }, deflating);
        expect(socket.handshakeHeaders['sec-websocket-extensions']).toMatch(/^permessage-deflate/);
        const message = `${PREFIX}echo;0;${'compressible '.repeat(20)}`;
        socket.send(
          buildFrame({ opcode: Opcode.Text, rsv1: true, payload: deflateMessage(message) }),
        );
        const echo = await socket.next((f) => f.opcode === Opcode.Text);
        // The reply is over the 256-byte threshold, so it comes compressed (RSV1).
        expect(echo.rsv1).toBe(true);
        expect(
          inflateRawSync(Buffer.concat([echo.payload, Buffer.from([0, 0, 0xff, 0xff])]), {
            finishFlush: zlibConstants.Z_SYNC_FLUSH,
          }).toString(),
        ).toBe(message);
      });

      it('a decompression bomb (tiny frame, 10x maxMessageSize inflated) is closed with 1009', async () => {
        const bomb = deflateMessage(Buffer.alloc(10 * MAX_MESSAGE_SIZE));
        expect(bomb.length).toBeLessThan(MAX_MESSAGE_SIZE / 10);
        const socket = await open({ 'Sec-WebSocket-Extensions': offer }, deflating);
        const heapBefore = process.memoryUsage().heapUsed;
        socket.send(buildFrame({ opcode: Opcode.Binary, rsv1: true, payload: bomb }));
        const close = await socket.closeFrame();
        expect(close.code).toBe(1009);
        expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
        await eventually(
          () => deflating.app.get(ConnectionsService).count === 0,
          3000,
          'the bomb connection to be gone',
        );
        await anotherClientIsServed(deflating);
      });
    });
  });
});
