import { randomBytes } from 'node:crypto';
import { type IncomingHttpHeaders, type IncomingMessage, request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { withTimeout } from './protocol-client';

/** An HTTP answer, read to its end. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * Sends one plain HTTP request (its own connection, no keep-alive agent, so nothing keeps the app's
 * server open) and reads the whole answer. Bounded by `timeoutMs`.
 */
export function httpExchange(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  timeoutMs = 3000,
): Promise<HttpAnswer> {
  return withTimeout(
    new Promise<HttpAnswer>((resolve, reject) => {
      const request = httpRequest(
        { host: '127.0.0.1', port, method, path, headers, agent: false },
        (response) => readAnswer(response, resolve, reject),
      );
      request.on('error', reject);
      request.end();
    }),
    timeoutMs,
    `${method} ${path}`,
  );
}

/**
 * Sends a websocket upgrade request (RFC 6455 handshake headers, overridable; `undefined` removes
 * one) and reports how the server answered: 101 when it switched protocols (the upgraded socket is
 * destroyed at once), otherwise the refusal's status, headers and body.
 */
export function upgradeRequest(
  port: number,
  path: string,
  headers: Record<string, string | undefined> = {},
  timeoutMs = 3000,
): Promise<HttpAnswer> {
  const all: Record<string, string | undefined> = {
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    ...headers,
  };
  const sent: Record<string, string> = {};
  for (const [name, value] of Object.entries(all)) if (value !== undefined) sent[name] = value;
  return withTimeout(
    new Promise<HttpAnswer>((resolve, reject) => {
      const request = httpRequest({ host: '127.0.0.1', port, path, headers: sent, agent: false });
      request.on('upgrade', (response, socket: Socket) => {
        socket.destroy();
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: '' });
      });
      request.on('response', (response) => readAnswer(response, resolve, reject));
      request.on('error', reject);
      request.end();
    }),
    timeoutMs,
    `upgrade ${path}`,
  );
}

/**
 * A websocket client written on a bare TCP socket: it completes the opening handshake and then
 * does nothing by itself (it never answers pings or close frames). Everything the server sends
 * after the handshake is kept in `received`.
 */
export class RawWebSocket {
  private readonly chunks: Buffer[] = [];
  /** Resolves when the TCP socket is closed (by either side). */
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** Connects and completes the handshake; rejects unless the server answers 101. */
  static async open(port: number, path: string, timeoutMs = 3000): Promise<RawWebSocket> {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    const raw = new RawWebSocket(socket);
    const key = randomBytes(16).toString('base64');
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        let head = Buffer.alloc(0);
        const onData = (chunk: Buffer): void => {
          head = Buffer.concat([head, chunk]);
          const end = head.indexOf('\r\n\r\n');
          if (end === -1) return;
          socket.off('data', onData);
          const statusLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
          if (!/^HTTP\/1\.1 101 /.test(statusLine)) {
            reject(new Error(`handshake refused: ${statusLine}`));
            return;
          }
          const rest = head.subarray(end + 4);
          if (rest.length > 0) raw.chunks.push(rest);
          socket.on('data', (data: Buffer) => raw.chunks.push(data));
          resolve();
        };
        socket.on('data', onData);
        socket.once('close', () => reject(new Error('socket closed during the handshake')));
        socket.once('connect', () =>
          socket.write(
            `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
              `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`,
          ),
        );
      }),
      timeoutMs,
      `raw websocket handshake ${path}`,
    );
    return raw;
  }

  /** The bytes received after the handshake. */
  get received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Destroys the socket (idempotent). */
  destroy(): void {
    this.socket.destroy();
  }
}

/** Resolves with the error code of a TCP connect to the port (e.g. `ECONNREFUSED`), or 'connected'. */
export function tcpConnectOutcome(port: number, timeoutMs = 3000): Promise<string> {
  return withTimeout(
    new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    }),
    timeoutMs,
    `TCP connect to ${port}`,
  );
}

/** Reads a whole HTTP response into an answer. */
function readAnswer(
  response: IncomingMessage,
  resolve: (answer: HttpAnswer) => void,
  reject: (error: Error) => void,
): void {
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.on('end', () =>
    resolve({
      status: response.statusCode ?? 0,
      headers: response.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    }),
  );
  response.on('error', reject);
}
