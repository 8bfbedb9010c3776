import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { monotonicNow } from '../../util/clock';
import { closeHttpConnectionsAt } from './http-connections-deadline';

/** Rejects after `ms` with `what`; the timer never outlives the race. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

describe('closeHttpConnectionsAt', () => {
  let server: Server;
  let port: number;
  const sockets: Socket[] = [];

  beforeEach(async () => {
    server = createServer((_request, response) => response.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    if (server.listening) server.close();
    server.closeAllConnections();
  });

  /** A connection that sent part of a request head and nothing more; resolves once the server read it. */
  async function stalledHead(): Promise<{ closed: Promise<void> }> {
    const socket = connect({ host: '127.0.0.1', port });
    sockets.push(socket);
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const reached = new Promise<void>((resolve) => server.once('connection', () => resolve()));
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await within(reached, 3000, 'the connection to reach the server');
    // A whole request on another connection is answered after the stalled bytes were read.
    await within(
      fetch(`http://127.0.0.1:${port}/`).then((response) => response.text()),
      3000,
      'a whole request',
    );
    return { closed };
  }

  it('destroys a stalled request head at the deadline once the server closes', async () => {
    const { closed } = await stalledHead();
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    const startedAt = monotonicNow();
    closeHttpConnectionsAt(server, startedAt + 200);
    await within(closed, 3000, 'the stalled socket to be destroyed');
    await within(serverClosed, 3000, 'the server to close');
    expect(monotonicNow() - startedAt).toBeGreaterThanOrEqual(150);
  });

  it('waits while the server still listens, and acts as soon as it closes', async () => {
    const { closed } = await stalledHead();
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    closeHttpConnectionsAt(server, monotonicNow());
    // Past the deadline, but the app has not closed the server yet: its connections stay.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(isClosed).toBe(false);
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    await within(closed, 3000, 'the stalled socket to be destroyed');
    await within(serverClosed, 3000, 'the server to close');
  });

  it('is disarmed when the server closes before the deadline', async () => {
    const destroy = jest.spyOn(server, 'closeAllConnections');
    closeHttpConnectionsAt(server, monotonicNow() + 100);
    await within(
      new Promise<void>((resolve) => server.close(() => resolve())),
      3000,
      'the server to close',
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(destroy).not.toHaveBeenCalled();
  });

  it('never keeps the process alive', () => {
    const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
    const disarm = closeHttpConnectionsAt(server, monotonicNow() + 60_000);
    const timer = setTimeoutSpy.mock.results[0]?.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    disarm();
    setTimeoutSpy.mockRestore();
  });
});
