import { type DynamicModule, Module } from '@nestjs/common';
import fc from 'fast-check';
import WebSocket from 'ws';
import {
  All,
  ConnectedSocket,
  ConnectionsService,
  MessageBody,
  MessageCodec,
  OnEvent,
  OnMessage,
  type OnWsConnection,
  RoomsService,
  type WsConnection,
  WsRoomsErrorCode,
  WsRoomsGateway,
  WsRoomsModule,
} from 'ws-rooms';
import { buildFrame, closeCodeOf, FrameSocket, Opcode } from '../support/frames';
import { eventually, ProtocolClient, withTimeout } from '../support/protocol-client';
import { type RunningApp, startApp } from '../support/test-app';

const PREFIX = 'iris-websocket-message:';
const MAX_MESSAGE_SIZE = 4096;
/** Close codes a hostile message may earn: protocol error, invalid data, policy, too big. */
const DOCUMENTED_CLOSE_CODES = [1002, 1007, 1008, 1009];
const ERROR_CODES: readonly string[] = Object.values(WsRoomsErrorCode);
/** Handlers of the fuzzed endpoint: every payload type and every kind of outcome. */
const EVENTS = ['echo', 'number', 'flag', 'bytes', 'object', 'join', 'say', 'shout', 'throws'];

@WsRoomsGateway()
class FuzzGateway implements OnWsConnection {
  shouts = 0;

  onWsConnection(connection: WsConnection): void {
    connection.emit('welcome', connection.id);
  }

  @OnEvent('probe')
  probe(@MessageBody() nonce: string): string {
    return nonce;
  }

  @OnEvent('echo')
  echo(@MessageBody() value: string): string {
    return value;
  }

  @OnEvent('number')
  number(@MessageBody() value: number): number {
    return value;
  }

  @OnEvent('flag')
  flag(@MessageBody() value: boolean): boolean {
    return value;
  }

  @OnEvent('bytes')
  bytes(@MessageBody() value: Buffer): number {
    return value.length;
  }

  @OnEvent('object')
  object(@MessageBody() value: { a?: unknown }): unknown {
    return { keys: Object.keys(value ?? {}).length };
  }

  @OnEvent('join')
  async join(
    @ConnectedSocket() connection: WsConnection,
    @MessageBody() room: string,
  ): Promise<void> {
    await connection.join(String(room));
  }

  @OnEvent('say')
  say(@ConnectedSocket() connection: WsConnection, @MessageBody() text: string): void {
    connection.to(String(text).slice(0, 8) || 'room').emit('said', text);
  }

  @OnEvent('shout')
  shout(@ConnectedSocket() connection: WsConnection, @MessageBody() text: string): void {
    this.shouts++;
    connection.to(All).emit('shout', text);
  }

  @OnEvent('throws')
  throws(): never {
    throw new Error('handler failure');
  }

  @OnMessage()
  native(@ConnectedSocket() connection: WsConnection, @MessageBody() data: Buffer): void {
    connection.emitMessage(`native:${data.length}`);
  }
}

@Module({})
class FuzzModule {
  static create(): DynamicModule {
    return {
      module: FuzzModule,
      imports: [
        WsRoomsModule.forRoot({
          endpoint: '/ws',
          maxMessageSize: MAX_MESSAGE_SIZE,
          maxEventNameLength: 32,
          maxJsonDepth: 8,
          maxRoomsPerConnection: 4,
          // The fuzzer sends fast on purpose; the rate limit has its own tests.
          maxMessageRate: 0,
          // It also opens a fresh socket per raw-frame run, all from 127.0.0.1, faster than the
          // per-address connection rate allows; that limit has its own tests too.
          maxConnectionRatePerAddress: 0,
        }),
      ],
      providers: [FuzzGateway],
    };
  }
}

/** `value` five times in six, its opposite otherwise. */
function mostly(value: boolean): fc.Arbitrary<boolean> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.constant(value) },
    { weight: 1, arbitrary: fc.constant(!value) },
  );
}

/** A byte-level mutation of a message. */
type Mutation =
  | { readonly op: 'flip'; readonly at: number; readonly byte: number }
  | { readonly op: 'insert'; readonly at: number; readonly byte: number }
  | { readonly op: 'delete'; readonly at: number }
  | { readonly op: 'truncate'; readonly at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    op: fc.constant('flip' as const),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    byte: fc.constantFrom(0x3b, 0x30, 0x34, 0x5b, 0x7b, 0x22, 0x00, 0xff, 0xc3),
  }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(message: Buffer, mutations: readonly Mutation[]): Buffer {
  let bytes = Buffer.from(message);
  for (const mutation of mutations) {
    if (bytes.length === 0) break;
    const at = mutation.at % bytes.length;
    if (mutation.op === 'flip') bytes[at] = mutation.byte;
    else if (mutation.op === 'insert')
      bytes = Buffer.concat([
        bytes.subarray(0, at),
        Buffer.from([mutation.byte]),
        bytes.subarray(at),
      ]);
    else if (mutation.op === 'delete')
      bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
    else bytes = bytes.subarray(0, at);
  }
  return bytes;
}

/** A payload text for a type digit: mostly plausible, sometimes garbage. */
const payloadArb = fc.oneof(
  fc.string({ maxLength: 64 }),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.integer().map(String),
  fc.double().map(String),
  fc.constantFrom('true', 'false', 'T', 'f', '', '-', '+', '1e400', '9007199254740993', 'NaN'),
  fc.jsonValue({ maxDepth: 10 }).map((value) => JSON.stringify(value)),
  fc.nat({ max: 40 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
);

/** A well-formed event message (any type digit 0-9, any of the endpoint's events or another name). */
const validMessageArb = fc
  .record({
    event: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...EVENTS) },
      {
        weight: 1,
        arbitrary: fc.string({ minLength: 1, maxLength: 40 }).filter((name) => !name.includes(';')),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'ws-rooms:req',
          'ws-rooms:reply',
          'ws-rooms:error',
          'ws-rooms:x',
        ),
      },
    ),
    type: fc.integer({ min: 0, max: 9 }),
    payload: payloadArb,
  })
  .map(({ event, type, payload }) => Buffer.from(`${PREFIX}${event};${type};${payload}`));

/** What the fuzzer sends in one message: valid, mutated, random, or huge. */
const messageArb: fc.Arbitrary<{ readonly data: Buffer; readonly binary: boolean }> = fc.record({
  data: fc.oneof(
    { weight: 4, arbitrary: validMessageArb },
    {
      weight: 4,
      arbitrary: fc
        .tuple(validMessageArb, fc.array(mutationArb, { minLength: 1, maxLength: 6 }))
        .map(([message, mutations]) => mutate(message, mutations)),
    },
    {
      weight: 2,
      arbitrary: fc
        .uint8Array({ maxLength: 256 })
        .map((bytes) => Buffer.concat([Buffer.from(PREFIX), Buffer.from(bytes)])),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 128 }).map((bytes) => Buffer.from(bytes)) },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: MAX_MESSAGE_SIZE - 64, max: MAX_MESSAGE_SIZE + 64 })
        .map((size) => Buffer.concat([Buffer.from(`${PREFIX}echo;0;`), Buffer.alloc(size, 0x61)])),
    },
  ),
  // Text frames may carry invalid UTF-8 (the server must close with 1007, not crash).
  binary: mostly(true),
});

describe('fuzz: the codec and the live endpoint never crash and never leak', () => {
  describe('MessageCodec.decode (pure)', () => {
    const codec = new MessageCodec(PREFIX, { maxEventNameLength: 32, maxJsonDepth: 8 });
    const kinds = ['event', 'native', 'malformed'];

    function checkResult(data: Buffer): void {
      const result = codec.decode(data);
      expect(kinds).toContain(result.kind);
      if (result.kind === 'event') {
        expect(result.event.length).toBeGreaterThan(0);
        expect(result.event).not.toContain(';');
        expect(Buffer.byteLength(result.event)).toBeLessThanOrEqual(32);
        expect(result.type).toBeGreaterThanOrEqual(0);
        expect(result.type).toBeLessThanOrEqual(4);
      } else if (result.kind === 'malformed') {
        expect(ERROR_CODES).toContain(result.error.code);
      } else {
        expect(result.data).toBe(data);
      }
    }

    it('random bytes never throw and decode to one of the three kinds', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 512 }), fc.boolean(), (bytes, prefixed) => {
          const data = prefixed
            ? Buffer.concat([Buffer.from(PREFIX), Buffer.from(bytes)])
            : Buffer.from(bytes);
          checkResult(data);
        }),
        { numRuns: 2000 },
      );
    });

    it('mutated valid messages never throw and decode to one of the three kinds', () => {
      fc.assert(
        fc.property(
          validMessageArb,
          fc.array(mutationArb, { maxLength: 8 }),
          (message, mutations) => checkResult(mutate(message, mutations)),
        ),
        { numRuns: 2000 },
      );
    });

    it('deep or unbalanced JSON never reaches the parser beyond maxJsonDepth', () => {
      fc.assert(
        fc.property(
          fc.array(fc.constantFrom('[', ']', '{', '}', '"', '\\', ',', ':', '1', 'a'), {
            maxLength: 400,
          }),
          (chars) => checkResult(Buffer.from(`${PREFIX}object;4;${chars.join('')}`)),
        ),
        { numRuns: 1000 },
      );
    });

    it('what encodeEvent produces decodes back to the same value', () => {
      const roundTrip = new MessageCodec(PREFIX);
      fc.assert(
        fc.property(
          fc.string({ minLength: 1, maxLength: 20 }).filter((name) => !name.includes(';')),
          fc.oneof(
            fc.string(),
            fc.maxSafeInteger(),
            fc.boolean(),
            fc.jsonValue().filter((value) => typeof value === 'object'),
          ),
          (event, value) => {
            const decoded = roundTrip.decode(roundTrip.encodeEvent(event, value as never));
            expect(decoded).toMatchObject({ kind: 'event', event });
            // JSON has no -0: the wire form of a type-4 value is what JSON.stringify makes of it.
            const expected = typeof value === 'object' ? JSON.parse(JSON.stringify(value)) : value;
            if (decoded.kind === 'event') expect(decoded.value).toEqual(expected);
          },
        ),
        { numRuns: 1000 },
      );
    });
  });

  describe('the live endpoint', () => {
    let running: RunningApp;
    let gateway: FuzzGateway;
    let idle: ProtocolClient;
    let nonce = 0;

    beforeAll(async () => {
      running = await startApp({ imports: [FuzzModule.create()] });
      gateway = running.app.get(FuzzGateway);
      idle = await ProtocolClient.connect(running.wsUrl('/ws'));
      await idle.nextEvent('welcome');
    });

    afterAll(async () => {
      await idle?.close();
      await running.close();
    });

    async function connectFuzzer(): Promise<ProtocolClient> {
      const client = await ProtocolClient.connect(running.wsUrl('/ws'));
      await client.nextEvent('welcome');
      return client;
    }

    /**
     * Sends a probe and resolves with what became of the connection: 'open' when the probe got its
     * reply, or the close code. Bounded.
     */
    function outcome(client: ProtocolClient): Promise<'open' | number> {
      const expected = `${PREFIX}probe;0;n${nonce++}`;
      return withTimeout(
        new Promise<'open' | number>((resolve) => {
          const onMessage = (data: Buffer): void => {
            if (data.toString() !== expected) return;
            cleanup();
            resolve('open');
          };
          const onClose = (code: number): void => {
            cleanup();
            resolve(code);
          };
          const cleanup = (): void => {
            client.ws.off('message', onMessage);
            client.ws.off('close', onClose);
          };
          if (client.ws.readyState === WebSocket.CLOSED) {
            void client.waitClose().then((close) => resolve(close.code));
            return;
          }
          client.ws.on('message', onMessage);
          client.ws.on('close', onClose);
          client.sendRaw(expected);
        }),
        3000,
        'the probe reply or the close',
      );
    }

    it('random and mutated event messages: open and responsive, or closed with a documented code; nothing leaks', async () => {
      let client = await connectFuzzer();
      const outcomes = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(fc.array(messageArb, { minLength: 1, maxLength: 3 }), async (messages) => {
          for (const { data, binary } of messages) {
            if (client.ws.readyState === WebSocket.OPEN) client.ws.send(data, { binary });
          }
          const result = await outcome(client);
          outcomes.set(String(result), (outcomes.get(String(result)) ?? 0) + 1);
          if (result !== 'open') {
            expect(DOCUMENTED_CLOSE_CODES).toContain(result);
            client = await connectFuzzer();
          }
        }),
        { numRuns: 200 },
      );
      await client.close();
      // The fuzz met both outcomes (a run that never closed would not test the close path).
      expect(outcomes.get('open')).toBeGreaterThan(0);
      expect([...outcomes.keys()].filter((key) => key !== 'open').length).toBeGreaterThan(0);

      // Nothing reached the idle client but what is addressed to everyone.
      const marker = `everyone-${Date.now()}`;
      running.app.get(RoomsService).to(All).emit('marker', marker);
      expect((await idle.nextEvent('marker')).payload).toBe(marker);
      const events = new Set(idle.received.map((m) => m.event ?? '<native>'));
      for (const event of events) expect(['welcome', 'shout', 'marker']).toContain(event);
      expect(idle.eventsNamed('shout')).toHaveLength(gateway.shouts);

      // The server is healthy: a new client is served, and only the idle one is left.
      const fresh = await connectFuzzer();
      expect(await outcome(fresh)).toBe('open');
      await fresh.close();
      await eventually(
        () => running.app.get(ConnectionsService).count === 1,
        3000,
        'only the idle client left',
      );
    });

    it('random raw frames: open and responsive, or closed with a documented code', async () => {
      const frameArb = fc.record({
        opcode: fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom(0x1, 0x2, 0x9, 0xa) },
          { weight: 1, arbitrary: fc.constantFrom(0x0, 0x3, 0x7, 0xb, 0xf) },
        ),
        fin: mostly(true),
        rsv1: mostly(false),
        rsv2: mostly(false),
        rsv3: mostly(false),
        mask: mostly(true),
        payload: fc.oneof(
          validMessageArb,
          fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
          fc
            .integer({ min: 120, max: MAX_MESSAGE_SIZE + 16 })
            .map((size) => Buffer.alloc(size, 0x62)),
        ),
      });
      const seen = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(fc.array(frameArb, { minLength: 1, maxLength: 3 }), async (frames) => {
          const socket = await FrameSocket.open(running.port, '/ws');
          try {
            socket.send(...frames.map((frame) => buildFrame(frame)));
            const expected = `raw-${nonce++}`;
            socket.send(
              buildFrame({ opcode: Opcode.Text, payload: `${PREFIX}probe;0;${expected}` }),
            );
            const answer = await socket.next(
              (f) =>
                f.opcode === Opcode.Close ||
                (f.opcode === Opcode.Text && f.payload.toString().endsWith(`;${expected}`)),
            );
            const result = answer.opcode === Opcode.Close ? closeCodeOf(answer) : 'open';
            seen.set(String(result), (seen.get(String(result)) ?? 0) + 1);
            if (result !== 'open') expect(DOCUMENTED_CLOSE_CODES).toContain(result);
          } finally {
            socket.destroy();
          }
        }),
        { numRuns: 100 },
      );
      expect(seen.get('open')).toBeGreaterThan(0);
      expect(seen.get('1002')).toBeGreaterThan(0);
      // The idle client is still there and was never written to by these frames.
      await eventually(
        () => running.app.get(ConnectionsService).count === 1,
        3000,
        'the raw sockets to be gone',
      );
      expect(idle.ws.readyState).toBe(WebSocket.OPEN);
    });
  });
});
