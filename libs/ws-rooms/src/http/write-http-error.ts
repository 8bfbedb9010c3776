import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Answers a refused upgrade with a complete HTTP response and closes the socket: the default of the
 * `error` option. Safe on a socket that is already gone. `headers` (e.g. `Retry-After`) are
 * written as given: names and values must not come from the request.
 */
export function writeHttpError(
  socket: Duplex,
  status: number,
  reason: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = Buffer.from(reason, 'utf8');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Connection: close\r\n' +
      Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('') +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${body.length}\r\n\r\n` +
      body.toString('utf8'),
  );
  // `end` flushes the response first; a peer that never reads must not keep the socket alive.
  socket.once('finish', () => socket.destroy());
}
