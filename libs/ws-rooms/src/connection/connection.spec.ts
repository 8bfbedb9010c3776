import { type Duplex, Writable } from 'node:stream';
import WebSocket from 'ws';
import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import type { BroadcastOperator } from '../interfaces/broadcast-operator.interface';
import { frameMessage } from '../protocol/frame';
import { type EmitValue, MessageCodec } from '../protocol/message-codec';
import { DEFAULT_PREFIX } from '../protocol/protocol.constants';
import { WriteBatcher } from '../server/outbound/write-batcher';
import { RoomIndex } from '../store/room-index';
import { Connection } from './connection';
import type { ConnectionLimits } from './connection-host.interface';
import type { ConnectionHost } from './connection';

/** Resolves after the `setImmediate` callbacks queued so far (the write batcher's) have run. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A real Node `Writable` standing in for the TCP socket: cork and uncork are Node's own, and each
 * call to the underlying write (one system call on a real socket) is recorded as one batch. With
 * `stall()` the writes never complete, as when the peer stops reading, so `writableLength` grows.
 */
class RecordingSocket extends Writable {
  /** The frames of each underlying write, in order. */
  readonly batches: Buffer[][] = [];
  private stalled = false;
  private readonly held: (() => void)[] = [];

  constructor() {
    super({ decodeStrings: false });
  }

  /** Every frame written so far, in order. */
  get written(): Buffer[] {
    return this.batches.flat();
  }

  /** The sizes of the frames of each underlying write. */
  get batchSizes(): number[][] {
    return this.batches.map((batch) => batch.map((frame) => frame.length));
  }

  /** From now on, writes are taken but not completed until `release()`. */
  stall(): void {
    this.stalled = true;
  }

  /** Completes the writes held since `stall()` (the peer read everything) and stops stalling. */
  release(): void {
    this.stalled = false;
    for (const done of this.held.splice(0)) done();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error) => void): void {
    this.batches.push([chunk]);
    this.complete(done);
  }

  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    done: (error?: Error) => void,
  ): void {
    this.batches.push(chunks.map((entry) => entry.chunk));
    this.complete(done);
  }

  private complete(done: () => void): void {
    if (this.stalled) this.held.push(done);
    else done();
  }
}

/** The server side of a connection, with a real write batcher and recorded calls. */
class FakeHost implements ConnectionHost {
  readonly name = 'chat';
  readonly index = new RoomIndex();
  readonly codec = new MessageCodec(DEFAULT_PREFIX);
  readonly batcher = new WriteBatcher();
  readonly scheduled: Connection[] = [];
  readonly closes: { connection: Connection; code: number; reason: string }[] = [];
  readonly slowConsumerCuts: { connection: Connection; why: string }[] = [];
  readonly broadcastSenders: (string | undefined)[] = [];
  readonly requests: { event: string; value: EmitValue; timeout: number | undefined }[] = [];

  constructor(readonly limits: ConnectionLimits) {}

  frameEvent(event: string, value: EmitValue, binary?: boolean): Buffer {
    return frameMessage(this.codec.encodeEvent(event, value), binary === true);
  }

  frameNative(data: string | Uint8Array, binary?: boolean): Buffer {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    return frameMessage(bytes, binary === true || typeof data !== 'string');
  }

  async request(
    _connection: Connection,
    event: string,
    value: EmitValue,
    timeout?: number,
  ): Promise<unknown> {
    this.requests.push({ event, value, timeout });
    return 'reply';
  }

  broadcastFrom(senderId: string | undefined): BroadcastOperator {
    this.broadcastSenders.push(senderId);
    const operator: BroadcastOperator = {
      to: () => operator,
      in: () => operator,
      except: () => operator,
      volatile: undefined as unknown as BroadcastOperator,
      binary: undefined as unknown as BroadcastOperator,
      emit: () => undefined,
      emitMessage: () => undefined,
      request: async () => ({ replies: new Map(), errors: new Map(), missing: [], partial: false }),
    };
    return operator;
  }

  async join(): Promise<void> {}

  readonly receivedMessages: { data: Buffer; isBinary: boolean }[] = [];

  received(_connection: Connection, data: Buffer, isBinary: boolean): void {
    this.receivedMessages.push({ data, isBinary });
  }

  pinged(): void {}

  ponged(): void {}

  socketClosed(): void {}

  socketFailed(): void {}

  async leave(): Promise<void> {}

  close(connection: Connection, code: number, reason: string): void {
    this.closes.push({ connection, code, reason });
  }

  cutSlowConsumer(connection: Connection, why: string): void {
    this.slowConsumerCuts.push({ connection, why });
  }

  scheduleFlush(connection: Connection): void {
    this.scheduled.push(connection);
    this.batcher.schedule(connection);
  }
}

/** The part of a `ws` WebSocket the send path reads, recording `send` (used with permessage-deflate). */
class FakeWebSocket {
  readyState: number = WebSocket.OPEN;
  /** What `ws` reports as queued (its own deflate queue plus the socket's buffer). */
  bufferedAmount = 0;
  readonly sent: { data: Buffer; binary: boolean }[] = [];

  send(data: Buffer, options: { binary: boolean }): void {
    this.sent.push({ data: Buffer.from(data), binary: options.binary });
  }
}

interface Harness {
  readonly connection: Connection;
  readonly socket: RecordingSocket;
  readonly host: FakeHost;
  readonly ws: FakeWebSocket;
}

function createConnection(limits: Partial<ConnectionLimits> = {}): Harness {
  const host = new FakeHost({
    maxBufferedBytes: 1024 * 1024,
    writeBufferSize: 64 * 1024,
    ...limits,
  });
  const socket = new RecordingSocket();
  const ws = new FakeWebSocket();
  const connection = new Connection(
    'conn-1',
    ws as unknown as WebSocket,
    socket as unknown as Duplex,
    host,
    undefined,
    '127.0.0.1',
    0,
  );
  return { connection, socket, host, ws };
}

/** A pre-framed message of exactly `length` bytes. */
const frameOf = (length: number, fill = 0x61): Buffer => Buffer.alloc(length, fill);

/** A stalled socket already holding `bytes` the peer has not read. */
function backedUp(socket: RecordingSocket, bytes: number): void {
  socket.stall();
  socket.write(Buffer.alloc(bytes));
}

describe('Connection send path', () => {
  describe('batching within one event-loop turn', () => {
    it('writes the frames of the turn into the corked socket, which sends them in one batch at the end of the turn', async () => {
      const { connection, socket } = createConnection();
      const frames = [frameOf(10, 0x61), frameOf(20, 0x62), frameOf(30, 0x63)];
      for (const frame of frames) expect(connection.sendFrame(frame, false)).toBe(true);
      expect(socket.batches).toEqual([]);
      expect(socket.writableCorked).toBe(1);
      expect(socket.writableLength).toBe(60);
      expect(connection.corkedBytes).toBe(60);
      await nextTurn();
      expect(socket.batches).toEqual([frames]);
      expect(socket.writableCorked).toBe(0);
      expect(connection.corkedBytes).toBe(0);
    });

    it('asks the host for one flush per turn, however many frames are sent', async () => {
      const { connection, host } = createConnection();
      for (let i = 0; i < 5; i++) connection.sendFrame(frameOf(10), false);
      expect(host.scheduled).toEqual([connection]);
      await nextTurn();
      connection.sendFrame(frameOf(10), false);
      expect(host.scheduled).toEqual([connection, connection]);
    });

    it('writes a lone frame in a batch of its own', async () => {
      const { connection, socket } = createConnection();
      connection.sendFrame(frameOf(10), false);
      await nextTurn();
      expect(socket.batchSizes).toEqual([[10]]);
    });

    it('keeps the batches of two connections apart', async () => {
      const first = createConnection();
      const second = createConnection();
      first.connection.sendFrame(frameOf(1), false);
      second.connection.sendFrame(frameOf(2), false);
      first.connection.sendFrame(frameOf(3), false);
      await nextTurn();
      expect(first.socket.batchSizes).toEqual([[1, 3]]);
      expect(second.socket.batchSizes).toEqual([[2]]);
    });

    it('lets what ws writes afterwards (a pong, a close frame) follow the frames, in the same batch', async () => {
      const { connection, socket } = createConnection();
      connection.sendFrame(frameOf(10), false);
      const pong = Buffer.from([0x8a, 0x00]);
      socket.write(pong);
      connection.sendFrame(frameOf(20), false);
      await nextTurn();
      expect(socket.batchSizes).toEqual([[10, 2, 20]]);
    });

    it('flush() sends the frames of the turn at once, and the end of the turn finds nothing', async () => {
      const { connection, socket } = createConnection();
      connection.sendFrame(frameOf(10), false);
      connection.sendFrame(frameOf(20), false);
      connection.flush();
      expect(socket.batchSizes).toEqual([[10, 20]]);
      expect(socket.writableCorked).toBe(0);
      await nextTurn();
      expect(socket.batches).toHaveLength(1);
      expect(socket.writableCorked).toBe(0);
    });
  });

  describe('writeBufferSize', () => {
    it('sends a batch at once when it reaches writeBufferSize', async () => {
      const { connection, socket } = createConnection({ writeBufferSize: 100 });
      connection.sendFrame(frameOf(40), false);
      connection.sendFrame(frameOf(40), false);
      expect(socket.batches).toEqual([]);
      connection.sendFrame(frameOf(40), false);
      expect(socket.batchSizes).toEqual([[40, 40, 40]]);
      expect(connection.corkedBytes).toBe(0);
      await nextTurn();
      // The end-of-turn flush finds nothing left to write.
      expect(socket.batches).toHaveLength(1);
      expect(socket.writableCorked).toBe(0);
    });

    it('counts a batch of exactly writeBufferSize bytes as full', () => {
      const { connection, socket } = createConnection({ writeBufferSize: 100 });
      connection.sendFrame(frameOf(50), false);
      connection.sendFrame(frameOf(50), false);
      expect(socket.batchSizes).toEqual([[50, 50]]);
    });

    it('holds the same frames until the end of the turn under a larger writeBufferSize', async () => {
      const { connection, socket } = createConnection({ writeBufferSize: 1000 });
      for (let i = 0; i < 3; i++) connection.sendFrame(frameOf(40), false);
      expect(socket.batches).toEqual([]);
      await nextTurn();
      expect(socket.batchSizes).toEqual([[40, 40, 40]]);
    });

    it('writes a single frame larger than writeBufferSize at once, uncorked', () => {
      const { connection, socket, host } = createConnection({ writeBufferSize: 100 });
      connection.sendFrame(frameOf(150), false);
      expect(socket.batchSizes).toEqual([[150]]);
      expect(socket.writableCorked).toBe(0);
      expect(host.scheduled).toEqual([]);
    });

    it('sends frames written after an early batch with the end-of-turn flush', async () => {
      const { connection, socket } = createConnection({ writeBufferSize: 100 });
      connection.sendFrame(frameOf(60), false);
      connection.sendFrame(frameOf(60), false);
      connection.sendFrame(frameOf(7), false);
      expect(socket.batchSizes).toEqual([[60, 60]]);
      await nextTurn();
      expect(socket.batchSizes).toEqual([[60, 60], [7]]);
      expect(socket.writableCorked).toBe(0);
    });
  });

  describe('maxBufferedBytes', () => {
    it('cuts the connection as a slow consumer when a send would pass the limit', async () => {
      const { connection, socket, host } = createConnection({ maxBufferedBytes: 100 });
      backedUp(socket, 90);
      expect(connection.sendFrame(frameOf(20), false)).toBe(false);
      expect(host.slowConsumerCuts).toEqual([
        { connection, why: 'send queue over maxBufferedBytes' },
      ]);
      expect(connection.corkedBytes).toBe(0);
      await nextTurn();
      expect(socket.batchSizes).toEqual([[90]]);
    });

    it('drops a volatile send silently instead', async () => {
      const { connection, socket, host } = createConnection({ maxBufferedBytes: 100 });
      backedUp(socket, 90);
      expect(connection.sendFrame(frameOf(20), true)).toBe(false);
      expect(host.slowConsumerCuts).toEqual([]);
      expect(host.closes).toEqual([]);
      await nextTurn();
      expect(socket.batchSizes).toEqual([[90]]);
    });

    it('counts the frames corked in this turn', () => {
      const { connection, host } = createConnection({ maxBufferedBytes: 100 });
      expect(connection.sendFrame(frameOf(60), false)).toBe(true);
      expect(connection.sendFrame(frameOf(60), false)).toBe(false);
      expect(host.slowConsumerCuts).toHaveLength(1);
    });

    it('lets one frame larger than the limit through to an idle connection, but not behind others', () => {
      const { connection, host } = createConnection({
        maxBufferedBytes: 100,
        writeBufferSize: 1 << 20,
      });
      expect(connection.sendFrame(Buffer.alloc(500), false)).toBe(true);
      expect(host.slowConsumerCuts).toHaveLength(0);
      expect(connection.sendFrame(Buffer.alloc(500), false)).toBe(false);
      expect(host.slowConsumerCuts).toHaveLength(1);
    });

    it('accepts a send that reaches the limit exactly', () => {
      const { connection, socket, host } = createConnection({ maxBufferedBytes: 100 });
      backedUp(socket, 40);
      expect(connection.sendFrame(frameOf(60), false)).toBe(true);
      expect(host.slowConsumerCuts).toEqual([]);
    });

    it('accepts a volatile send again once the socket has drained', async () => {
      const { connection, socket } = createConnection({ maxBufferedBytes: 100 });
      backedUp(socket, 90);
      expect(connection.sendFrame(frameOf(20), true)).toBe(false);
      socket.release();
      expect(socket.writableLength).toBe(0);
      expect(connection.sendFrame(frameOf(20), true)).toBe(true);
      await nextTurn();
      expect(socket.batchSizes).toEqual([[90], [20]]);
    });
  });

  describe('a socket that is not open', () => {
    it.each([
      ['CLOSING', WebSocket.CLOSING],
      ['CLOSED', WebSocket.CLOSED],
    ])('refuses frames while the ws is %s and writes nothing', async (_name, state) => {
      const { connection, socket, ws, host } = createConnection();
      ws.readyState = state;
      expect(connection.sendFrame(frameOf(10), false)).toBe(false);
      await nextTurn();
      expect(socket.batches).toEqual([]);
      expect(host.scheduled).toEqual([]);
    });

    it('still sends the frames written before the ws started closing, and none after', async () => {
      const { connection, socket, ws } = createConnection();
      connection.sendFrame(frameOf(10), false);
      ws.readyState = WebSocket.CLOSING;
      expect(connection.sendFrame(frameOf(20), false)).toBe(false);
      await nextTurn();
      expect(socket.batchSizes).toEqual([[10]]);
    });

    it('refuses frames once the connection is closed, without scheduling a flush', () => {
      const { connection, host, socket } = createConnection();
      connection.closed = true;
      expect(connection.sendFrame(frameOf(10), false)).toBe(false);
      expect(socket.writableLength).toBe(0);
      expect(host.scheduled).toEqual([]);
      expect(connection.isOpen).toBe(false);
    });

    it('is open only while not closed and the ws is OPEN', () => {
      const { connection, ws } = createConnection();
      expect(connection.isOpen).toBe(true);
      ws.readyState = WebSocket.CLOSING;
      expect(connection.isOpen).toBe(false);
    });
  });

  describe('emit and emitMessage', () => {
    it('emit queues the frame the host builds for the event', async () => {
      const { connection, socket, host } = createConnection();
      connection.emit('chat', 'hello');
      await nextTurn();
      expect(socket.written).toEqual([host.frameEvent('chat', 'hello')]);
    });

    it('emitMessage queues the frame the host builds for the native message', async () => {
      const { connection, socket } = createConnection();
      connection.emitMessage('raw text');
      await nextTurn();
      expect(socket.written).toEqual([frameMessage(Buffer.from('raw text'), false)]);
    });

    it('emit and emitMessage with { binary: true } send binary frames', async () => {
      const { connection, socket, host } = createConnection();
      connection.emit('chat', 'hello', { binary: true });
      connection.emitMessage('raw text', { binary: true });
      await nextTurn();
      expect(socket.written).toEqual([
        host.frameEvent('chat', 'hello', true),
        frameMessage(Buffer.from('raw text'), true),
      ]);
      expect(socket.written.map((frame) => frame[0])).toEqual([0x82, 0x82]);
    });

    it('emit with { volatile: true } is dropped silently when the send queue is full', () => {
      const { connection, socket, host } = createConnection({ maxBufferedBytes: 100 });
      backedUp(socket, 100);
      connection.emit('pos', { x: 1 }, { volatile: true });
      connection.emitMessage('raw', { volatile: true });
      expect(host.slowConsumerCuts).toEqual([]);
      connection.emit('chat', 'important');
      expect(host.slowConsumerCuts).toHaveLength(1);
    });

    it('request() asks the host, with the timeout given', async () => {
      const { connection, host } = createConnection();
      await expect(connection.request('ping', { n: 1 }, { timeout: 250 })).resolves.toBe('reply');
      await connection.request('ping');
      expect(host.requests).toEqual([
        { event: 'ping', value: { n: 1 }, timeout: 250 },
        { event: 'ping', value: undefined, timeout: undefined },
      ]);
    });

    it('to() starts a broadcast from this connection', () => {
      const { connection, host } = createConnection();
      connection.to('lobby');
      expect(host.broadcastSenders).toEqual(['conn-1']);
    });
  });

  describe('with permessage-deflate negotiated', () => {
    it.each([
      ['a short text frame', 10, false],
      ['a binary frame with a 16-bit length', 300, true],
      ['a text frame with a 64-bit length', 70_000, false],
    ])('hands ws %s unframed, at once, for ws to compress', (_name, length, binary) => {
      const { connection, socket, ws, host } = createConnection();
      connection.compressed = true;
      const payload = Buffer.alloc(length, 0x61);
      expect(connection.sendFrame(frameMessage(payload, binary), false)).toBe(true);
      expect(ws.sent).toHaveLength(1);
      expect(ws.sent[0].binary).toBe(binary);
      expect(ws.sent[0].data.equals(payload)).toBe(true);
      expect(socket.batches).toEqual([]);
      expect(host.scheduled).toEqual([]);
      expect(connection.corkedBytes).toBe(0);
    });

    it('sends nothing when the ws is not open', () => {
      const { connection, ws } = createConnection();
      connection.compressed = true;
      ws.readyState = WebSocket.CLOSING;
      connection.sendFrame(frameMessage(Buffer.from('x'), false), false);
      expect(ws.sent).toEqual([]);
    });

    it('still enforces maxBufferedBytes, counting what ws itself has queued', () => {
      const { connection, ws, host } = createConnection({ maxBufferedBytes: 100 });
      connection.compressed = true;
      ws.bufferedAmount = 100;
      expect(connection.sendFrame(frameMessage(Buffer.from('x'), false), false)).toBe(false);
      expect(host.slowConsumerCuts).toHaveLength(1);
      expect(ws.sent).toEqual([]);
    });
  });
});

describe('Connection.disconnect', () => {
  function thrownBy(action: () => unknown): WsRoomsError {
    try {
      action();
    } catch (error) {
      expect(error).toBeInstanceOf(WsRoomsError);
      return error as WsRoomsError;
    }
    throw new Error('expected the call to throw');
  }

  it('closes with 1000 and no reason by default', () => {
    const { connection, host } = createConnection();
    connection.disconnect();
    expect(host.closes).toEqual([{ connection, code: 1000, reason: '' }]);
  });

  it.each([1000, 3000, 4000, 4999])('accepts code %i', (code) => {
    const { connection, host } = createConnection();
    connection.disconnect(code, 'bye');
    expect(host.closes).toEqual([{ connection, code, reason: 'bye' }]);
  });

  it.each([999, 1001, 1006, 1011, 2999, 5000, 3000.5, Number.NaN])('refuses code %p', (code) => {
    const { connection, host } = createConnection();
    const error = thrownBy(() => connection.disconnect(code));
    expect(error.code).toBe(WsRoomsErrorCode.InvalidOption);
    expect(error.message).toBe(
      `disconnect(): close code must be 1000 or within 3000-4999, got ${code}`,
    );
    expect(host.closes).toEqual([]);
  });

  it('accepts a reason of 123 bytes and refuses 124', () => {
    const { connection, host } = createConnection();
    connection.disconnect(1000, 'x'.repeat(123));
    expect(host.closes).toHaveLength(1);
    const error = thrownBy(() => connection.disconnect(1000, 'x'.repeat(124)));
    expect(error.code).toBe(WsRoomsErrorCode.InvalidOption);
    expect(error.message).toBe('disconnect(): reason must be at most 123 bytes');
    expect(host.closes).toHaveLength(1);
  });

  it('measures the reason in UTF-8 bytes, not characters', () => {
    const { connection, host } = createConnection();
    connection.disconnect(1000, '☃'.repeat(41));
    expect(host.closes).toHaveLength(1);
    expect(() => connection.disconnect(1000, '☃'.repeat(42))).toThrow(WsRoomsError);
    expect(host.closes).toHaveLength(1);
  });
});
