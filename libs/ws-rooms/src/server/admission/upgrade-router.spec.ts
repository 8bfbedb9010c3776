import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { UpgradeRouter, type UpgradeTarget } from './upgrade-router';

const WAIT_MS = 3000;

/** Rejects when `promise` has not settled within `ms`. */
function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Upgrade {
  readonly url: string | undefined;
  readonly socket: Duplex;
  readonly errorListenersAtHandOff: number;
}

/** An endpoint that answers every upgrade with a fixed HTTP response naming itself. */
class RecordingTarget implements UpgradeTarget {
  readonly upgrades: Upgrade[] = [];

  constructor(readonly name: string) {}

  async handleUpgrade(request: IncomingMessage, socket: Duplex): Promise<void> {
    this.upgrades.push({
      url: request.url,
      socket,
      errorListenersAtHandOff: socket.listenerCount('error'),
    });
    socket.end(answer(200, this.name));
  }
}

function answer(status: number, body: string): string {
  return `HTTP/1.1 ${status} X\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
}

function upgradeRequest(path: string): string {
  return (
    `GET ${path} HTTP/1.1\r\n` +
    'Host: 127.0.0.1\r\n' +
    'Connection: Upgrade\r\n' +
    'Upgrade: websocket\r\n' +
    'Sec-WebSocket-Version: 13\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'
  );
}

describe('UpgradeRouter', () => {
  let server: Server;
  let port: number;
  const sockets: Socket[] = [];

  beforeEach(async () => {
    server = createServer((_request, response) => response.end('plain http'));
    await within(
      new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)),
      'server listening',
    );
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    server.closeAllConnections();
    await within(new Promise<void>((resolve) => server.close(() => resolve())), 'server closed');
  });

  /** Sends a raw upgrade request and resolves with everything the server wrote before closing. */
  function sendUpgrade(path: string): Promise<string> {
    return within(
      new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(upgradeRequest(path)));
        sockets.push(socket);
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.on('error', reject);
        socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
      }),
      `response to upgrade of ${path}`,
    );
  }

  it('is one router per HTTP server', () => {
    expect(UpgradeRouter.of(server)).toBe(UpgradeRouter.of(server));
    expect(UpgradeRouter.of(createServer())).not.toBe(UpgradeRouter.of(server));
  });

  it('routes an upgrade to the endpoint of its path', async () => {
    const router = UpgradeRouter.of(server);
    const chat = new RecordingTarget('chat');
    const news = new RecordingTarget('news');
    router.add('/chat', chat);
    router.add('/news', news);
    expect(await sendUpgrade('/news')).toBe(answer(200, 'news'));
    expect(await sendUpgrade('/chat')).toBe(answer(200, 'chat'));
    expect(chat.upgrades.map((upgrade) => upgrade.url)).toEqual(['/chat']);
    expect(news.upgrades.map((upgrade) => upgrade.url)).toEqual(['/news']);
  });

  it('routes by the path alone, ignoring the query string', async () => {
    const chat = new RecordingTarget('chat');
    UpgradeRouter.of(server).add('/chat', chat);
    expect(await sendUpgrade('/chat?token=abc&room=1')).toBe(answer(200, 'chat'));
    expect(chat.upgrades.map((upgrade) => upgrade.url)).toEqual(['/chat?token=abc&room=1']);
  });

  it('matches paths exactly', async () => {
    const chat = new RecordingTarget('chat');
    UpgradeRouter.of(server).add('/chat', chat);
    expect(await sendUpgrade('/chat/')).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(await sendUpgrade('/chatroom')).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(chat.upgrades).toEqual([]);
  });

  it('attaches an error listener to the raw socket before handing it on', async () => {
    const chat = new RecordingTarget('chat');
    UpgradeRouter.of(server).add('/chat', chat);
    await sendUpgrade('/chat');
    expect(chat.upgrades[0].errorListenersAtHandOff).toBeGreaterThanOrEqual(1);
  });

  it('answers 404 to an unknown path when it is the only upgrade listener', async () => {
    UpgradeRouter.of(server).add('/chat', new RecordingTarget('chat'));
    expect(server.listenerCount('upgrade')).toBe(1);
    const response = await sendUpgrade('/unknown?x=1');
    expect(response).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(response.endsWith('\r\n\r\nNot Found')).toBe(true);
  });

  it('stays silent on an unknown path when another library listens for upgrades too', async () => {
    UpgradeRouter.of(server).add('/chat', new RecordingTarget('chat'));
    const other = new RecordingTarget('other');
    server.on('upgrade', (request: IncomingMessage, socket: Duplex) => {
      if (request.url === '/other') void other.handleUpgrade(request, socket);
    });
    // Only the other listener's answer arrives: a 404 from the router would come first.
    expect(await sendUpgrade('/other')).toBe(answer(200, 'other'));
  });

  it('still serves its own paths when another library listens for upgrades too', async () => {
    const chat = new RecordingTarget('chat');
    UpgradeRouter.of(server).add('/chat', chat);
    server.on('upgrade', () => undefined);
    expect(await sendUpgrade('/chat')).toBe(answer(200, 'chat'));
  });

  it('refuses two endpoints on the same path', () => {
    const router = UpgradeRouter.of(server);
    router.add('/chat', new RecordingTarget('first'));
    expect(() => router.add('/chat', new RecordingTarget('second'))).toThrow(
      'ws-rooms: two endpoints on the same path "/chat"',
    );
  });

  it('adds one listener for all its endpoints and removes it with the last endpoint', () => {
    const router = UpgradeRouter.of(server);
    router.add('/a', new RecordingTarget('a'));
    router.add('/b', new RecordingTarget('b'));
    expect(server.listenerCount('upgrade')).toBe(1);
    router.remove('/a');
    expect(server.listenerCount('upgrade')).toBe(1);
    router.remove('/a');
    expect(server.listenerCount('upgrade')).toBe(1);
    router.remove('/b');
    expect(server.listenerCount('upgrade')).toBe(0);
    // The next user of the server gets a fresh router.
    expect(UpgradeRouter.of(server)).not.toBe(router);
  });

  it('stops routing a removed path', async () => {
    const router = UpgradeRouter.of(server);
    const chat = new RecordingTarget('chat');
    router.add('/chat', chat);
    router.add('/news', new RecordingTarget('news'));
    router.remove('/chat');
    expect(await sendUpgrade('/chat')).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(chat.upgrades).toEqual([]);
  });
});
