import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { writeHttpError } from './write-http-error';

const WAIT_MS = 3000;

function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe('writeHttpError', () => {
  let server: Server;
  let port: number;
  let serverSockets: Socket[];
  const clients: Socket[] = [];

  beforeEach(async () => {
    serverSockets = [];
    server = createServer((socket) => serverSockets.push(socket));
    await within(
      new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)),
      'listening',
    );
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    for (const socket of [...clients.splice(0), ...serverSockets]) socket.destroy();
    await within(new Promise<void>((resolve) => server.close(() => resolve())), 'server closed');
  });

  /**
   * Opens a connection, runs `write` on the server's end of it and resolves with everything the
   * client received up to the server's FIN. The client never closes its own side (half-open), so
   * only `writeHttpError` can make the server's socket go away.
   */
  function responseTo(
    write: (socket: Socket) => void,
  ): Promise<{ text: string; serverSocket: Socket }> {
    return within(
      new Promise((resolve, reject) => {
        let serverSocket: Socket | undefined;
        server.once('connection', (socket: Socket) => {
          serverSocket = socket;
          write(socket);
        });
        const client = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
        clients.push(client);
        const chunks: Buffer[] = [];
        client.on('data', (chunk: Buffer) => chunks.push(chunk));
        client.on('error', reject);
        client.on('end', () =>
          resolve({ text: Buffer.concat(chunks).toString('utf8'), serverSocket: serverSocket! }),
        );
      }),
      'HTTP error response',
    );
  }

  it('writes a complete HTTP response with the status, its reason phrase and the reason as body', async () => {
    const { text } = await responseTo((socket) =>
      writeHttpError(socket, 403, 'Origin not allowed'),
    );
    expect(text).toBe(
      'HTTP/1.1 403 Forbidden\r\n' +
        'Connection: close\r\n' +
        'Content-Type: text/plain; charset=utf-8\r\n' +
        'Content-Length: 18\r\n' +
        '\r\n' +
        'Origin not allowed',
    );
  });

  it('counts Content-Length in UTF-8 bytes', async () => {
    const { text } = await responseTo((socket) => writeHttpError(socket, 400, 'héllo ☃'));
    expect(text).toContain(`Content-Length: ${Buffer.byteLength('héllo ☃')}\r\n`);
    expect(text.endsWith('\r\n\r\nhéllo ☃')).toBe(true);
  });

  it('uses "Error" as the phrase of a status Node does not know', async () => {
    const { text } = await responseTo((socket) => writeHttpError(socket, 599, 'odd'));
    expect(text.startsWith('HTTP/1.1 599 Error\r\n')).toBe(true);
  });

  it('destroys the socket once the response is flushed, even if the peer keeps its side open', async () => {
    const { serverSocket } = await responseTo((socket) => writeHttpError(socket, 404, 'Not Found'));
    if (!serverSocket.destroyed) {
      await within(
        new Promise<void>((resolve) => serverSocket.once('close', () => resolve())),
        'server socket destroyed',
      );
    }
    expect(serverSocket.destroyed).toBe(true);
  });

  it('only destroys a socket that can no longer be written to', () => {
    const written: unknown[] = [];
    const socket = new Duplex({
      read() {},
      write(chunk, _encoding, callback) {
        written.push(chunk);
        callback();
      },
    });
    socket.on('error', () => undefined);
    socket.end();
    expect(socket.writable).toBe(false);
    expect(() => writeHttpError(socket, 500, 'too late')).not.toThrow();
    expect(socket.destroyed).toBe(true);
    expect(written).toEqual([]);
  });
});
