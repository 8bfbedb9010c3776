import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { withTimeout } from './protocol-client';

/** Frame opcodes of RFC 6455 section 5.2 (3-7 and 0xB-0xF are reserved). */
export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

/** Everything about one client-to-server frame; what is left out makes a valid frame. */
export interface FrameSpec {
  readonly opcode: number;
  readonly payload?: Buffer | string;
  /** @default true */
  readonly fin?: boolean;
  readonly rsv1?: boolean;
  readonly rsv2?: boolean;
  readonly rsv3?: boolean;
  /** `false` sends the payload unmasked (a protocol error from a client); a Buffer is the key. */
  readonly mask?: boolean | Buffer;
  /**
   * Announce this payload length instead of the real one (only the header is affected): lets a test
   * claim a huge frame without sending it.
   */
  readonly declaredLength?: number | bigint;
}

/**
 * Builds one frame byte by byte: FIN/RSV bits, opcode, the shortest length encoding (unless
 * `declaredLength` asks for another length), and the payload masked with a random key.
 */
export function buildFrame(spec: FrameSpec): Buffer {
  const payload =
    typeof spec.payload === 'string' ? Buffer.from(spec.payload, 'utf8') : (spec.payload ?? EMPTY);
  const masked = spec.mask !== false;
  const key = Buffer.isBuffer(spec.mask) ? spec.mask : randomBytes(4);
  const length = BigInt(spec.declaredLength ?? payload.length);
  let first = spec.opcode & 0x0f;
  if (spec.fin !== false) first |= 0x80;
  if (spec.rsv1 === true) first |= 0x40;
  if (spec.rsv2 === true) first |= 0x20;
  if (spec.rsv3 === true) first |= 0x10;
  const maskBit = masked ? 0x80 : 0;
  let header: Buffer;
  if (length < 126n) {
    header = Buffer.from([first, maskBit | Number(length)]);
  } else if (length <= 0xffffn) {
    header = Buffer.alloc(4);
    header[0] = first;
    header[1] = maskBit | 126;
    header.writeUInt16BE(Number(length), 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = maskBit | 127;
    header.writeBigUInt64BE(length, 2);
  }
  if (!masked) return Buffer.concat([header, payload]);
  const body = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) body[i] = payload[i] ^ key[i & 3];
  return Buffer.concat([header, key, body]);
}

/** The payload of a close frame: a 2-byte code and an optional UTF-8 reason. */
export function closePayload(code: number, reason = ''): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2, 'utf8');
  return payload;
}

/** One frame as the server sent it. */
export interface ServerFrame {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly opcode: number;
  readonly masked: boolean;
  readonly payload: Buffer;
}

/** The close code of a close frame (1005 when it carries none, as RFC 6455 section 7.1.5 says). */
export function closeCodeOf(frame: ServerFrame): number {
  return frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
}

/** The close reason of a close frame. */
export function closeReasonOf(frame: ServerFrame): string {
  return frame.payload.subarray(2).toString('utf8');
}

/**
 * Splits server-to-client bytes into frames (RFC 6455 section 5.2), keeping an incomplete tail for
 * the next push. Server frames are unmasked; a masked one is reported as such (a server bug).
 */
export class FrameReader {
  readonly frames: ServerFrame[] = [];
  private buffered: Buffer = EMPTY;

  /** Adds bytes; returns the frames they completed. */
  push(chunk: Buffer): ServerFrame[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const completed: ServerFrame[] = [];
    for (;;) {
      const frame = this.take();
      if (frame === null) break;
      this.frames.push(frame);
      completed.push(frame);
    }
    return completed;
  }

  private take(): ServerFrame | null {
    const bytes = this.buffered;
    if (bytes.length < 2) return null;
    const masked = (bytes[1] & 0x80) !== 0;
    let length = bytes[1] & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (bytes.length < 4) return null;
      length = bytes.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (bytes.length < 10) return null;
      length = Number(bytes.readBigUInt64BE(2));
      offset = 10;
    }
    const keyAt = offset;
    if (masked) offset += 4;
    if (bytes.length < offset + length) return null;
    const payload = Buffer.from(bytes.subarray(offset, offset + length));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= bytes[keyAt + (i & 3)];
    this.buffered = bytes.subarray(offset + length);
    return {
      fin: (bytes[0] & 0x80) !== 0,
      rsv1: (bytes[0] & 0x40) !== 0,
      opcode: bytes[0] & 0x0f,
      masked,
      payload,
    };
  }
}

/**
 * A websocket client on a bare TCP socket that sends exactly the frames a test builds and reads the
 * server's frames with {@link FrameReader}. It never answers anything by itself. Every wait is bounded.
 */
export class FrameSocket {
  readonly reader = new FrameReader();
  /** Resolves when the TCP socket is closed, by either side. */
  readonly closed: Promise<void>;
  private waiters: { match: (frame: ServerFrame) => boolean; resolve: (f: ServerFrame) => void }[] =
    [];
  private readonly consumed = new Set<ServerFrame>();

  private constructor(
    readonly socket: Socket,
    /** Headers of the 101 answer. */
    readonly handshakeHeaders: IncomingHttpHeaders,
    rest: Buffer,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    if (rest.length > 0) this.onData(rest);
  }

  /**
   * Connects to 127.0.0.1 and completes an RFC 6455 handshake with extra headers (e.g.
   * `Sec-WebSocket-Extensions`); rejects unless the server answers 101.
   */
  static async open(
    port: number,
    path: string,
    headers: Record<string, string> = {},
    timeoutMs = 3000,
  ): Promise<FrameSocket> {
    const socket = connect({ host: '127.0.0.1', port });
    // Writes after the server closed fail with EPIPE/ECONNRESET: expected in these tests.
    socket.on('error', () => undefined);
    socket.setNoDelay(true);
    const key = randomBytes(16).toString('base64');
    const lines = [
      `GET ${path} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      'Connection: Upgrade',
      'Upgrade: websocket',
      'Sec-WebSocket-Version: 13',
      `Sec-WebSocket-Key: ${key}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    try {
      return await withTimeout(
        new Promise<FrameSocket>((resolve, reject) => {
          let head: Buffer = EMPTY;
          const onData = (chunk: Buffer): void => {
            head = Buffer.concat([head, chunk]);
            const end = head.indexOf('\r\n\r\n');
            if (end === -1) return;
            socket.off('data', onData);
            socket.off('close', onClose);
            const [statusLine, ...headerLines] = head
              .subarray(0, end)
              .toString('latin1')
              .split('\r\n');
            if (!/^HTTP\/1\.1 101 /.test(statusLine)) {
              reject(new Error(`handshake refused: ${statusLine}`));
              return;
            }
            const answer: IncomingHttpHeaders = {};
            for (const line of headerLines) {
              const colon = line.indexOf(':');
              answer[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
            }
            resolve(new FrameSocket(socket, answer, head.subarray(end + 4)));
          };
          const onClose = () => reject(new Error('socket closed during the handshake'));
          socket.on('data', onData);
          socket.once('close', onClose);
          socket.once('connect', () => socket.write(`${lines.join('\r\n')}\r\n\r\n`));
        }),
        timeoutMs,
        `frame socket handshake ${path}`,
      );
    } catch (error) {
      socket.destroy();
      throw error;
    }
  }

  /** Writes frames (built with {@link buildFrame}) or raw bytes. */
  send(...frames: (FrameSpec | Buffer)[]): void {
    if (this.socket.destroyed) return;
    for (const frame of frames)
      this.socket.write(Buffer.isBuffer(frame) ? frame : buildFrame(frame));
  }

  /** Waits for the oldest matching frame not yet returned. */
  next(
    match: (frame: ServerFrame) => boolean = () => true,
    timeoutMs = 3000,
  ): Promise<ServerFrame> {
    const found = this.reader.frames.find((f) => !this.consumed.has(f) && match(f));
    if (found !== undefined) {
      this.consumed.add(found);
      return Promise.resolve(found);
    }
    return withTimeout(
      new Promise<ServerFrame>((resolve) => this.waiters.push({ match, resolve })),
      timeoutMs,
      'waiting for a server frame',
    );
  }

  /** Waits for the server's close frame and returns its code and reason. */
  async closeFrame(timeoutMs = 3000): Promise<{ code: number; reason: string }> {
    const frame = await this.next((f) => f.opcode === Opcode.Close, timeoutMs);
    return { code: closeCodeOf(frame), reason: closeReasonOf(frame) };
  }

  /** Data frames received so far, as text. */
  texts(): string[] {
    return this.reader.frames
      .filter((f) => f.opcode === Opcode.Text || f.opcode === Opcode.Binary)
      .map((f) => f.payload.toString('utf8'));
  }

  /** Destroys the socket (idempotent). */
  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    for (const frame of this.reader.push(chunk)) {
      const index = this.waiters.findIndex((w) => w.match(frame));
      if (index === -1) continue;
      const [waiter] = this.waiters.splice(index, 1);
      this.consumed.add(frame);
      waiter.resolve(frame);
    }
  }
}

const EMPTY = Buffer.alloc(0);
