import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import {
  ConnectedSocket,
  ConnectionsService,
  MessageBody,
  OnEvent,
  type WsConnection,
  WsRoomsGateway,
  WsRoomsModule,
  type WsRoomsOptions,
} from 'ws-rooms';
import { ProtocolClient, withTimeout } from '../support/protocol-client';
import { httpExchange, upgradeRequest } from '../support/raw-socket';
import { PLATFORMS, type RunningApp, startAppOn } from '../support/test-app';

// DNS rebinding: a page on the attacker's name, made to resolve to the server (127.0.0.1 here),
// sends its own name as Host and as Origin. Every request below comes from 127.0.0.1 with forged
// Host and Origin headers, as the rebound browser would send them.

const PAGE = '/ws-rooms/dashboard';
const FEED = `${PAGE}/ws`;
const SECRET_ROOM = 'board-meeting';

@WsRoomsGateway()
class JoinGateway {
  @OnEvent('join')
  async join(@ConnectedSocket() c: WsConnection, @MessageBody() room: string): Promise<string> {
    await c.join(room);
    return room;
  }
}

/**
 * The status of an HTTP/1.0 request sent without a `Host` header (an HTTP/1.1 one is refused by
 * Node itself with 400), read from the raw answer. Bounded.
 */
function statusWithoutHost(port: number, path: string, upgrade: boolean): Promise<number> {
  const head =
    `GET ${path} HTTP/1.0\r\n` +
    (upgrade
      ? 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
      : '') +
    '\r\n';
  return withTimeout(
    new Promise<number>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      let answer = '';
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString('latin1');
        const status = /^HTTP\/1\.[01] (\d{3}) /.exec(answer);
        if (status === null) return;
        socket.destroy();
        resolve(Number(status[1]));
      });
      socket.once('connect', () => socket.write(head));
    }),
    3000,
    `GET ${path} without Host`,
  );
}

describe.each(PLATFORMS)('DNS rebinding (%s)', (platform) => {
  let running: RunningApp | undefined;
  const clients: ProtocolClient[] = [];

  async function start(options: Partial<WsRoomsOptions>): Promise<RunningApp> {
    running = await startAppOn(platform, {
      imports: [WsRoomsModule.forRoot({ endpoint: '/ws', ...options })],
      providers: [JoinGateway],
    });
    return running;
  }

  /** Headers of a browser whose page was loaded from `http://<host>:<port>`. */
  function fromPage(host: string, port: number): Record<string, string> {
    return { Host: `${host}:${port}`, Origin: `http://${host}:${port}` };
  }

  /** A connection (from 127.0.0.1, to 127.0.0.1) in the room a rebound page wants to see. */
  async function memberOfSecretRoom(app: RunningApp): Promise<void> {
    const client = await ProtocolClient.connect(app.wsUrl('/ws'));
    clients.push(client);
    client.emit('join', SECRET_ROOM);
    await client.nextEvent('join');
  }

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close().catch(() => undefined)));
    await running?.close();
    running = undefined;
  });

  describe('the endpoint with allowedHosts', () => {
    it('refuses a rebound same-origin upgrade with 403 before the upgrade, counted as origin', async () => {
      const app = await start({ allowedHosts: ['chat.example.com', '127.0.0.1'] });
      const answer = await upgradeRequest(app.port, '/ws', fromPage('attacker.example', app.port));
      expect([answer.status, answer.body]).toEqual([403, 'Host not allowed']);
      const connections = app.app.get(ConnectionsService);
      expect(connections.count).toBe(0);
      expect(connections.stats()).toMatchObject({
        connectionsOpened: 0,
        upgradesRefused: 1,
        upgradesRefusedByReason: expect.objectContaining({ origin: 1 }),
      });
    });

    it.each([
      [
        'a listed name, with the same origin',
        { Host: 'chat.example.com', Origin: 'https://chat.example.com' },
      ],
      ['a listed name on another port', { Host: 'chat.example.com:8443' }],
      ['a listed literal, without Origin (not a browser)', { Host: '127.0.0.1:1' }],
    ])('lets in %s', async (_name, headers) => {
      const app = await start({ allowedHosts: ['Chat.Example.com', '127.0.0.1'] });
      expect((await upgradeRequest(app.port, '/ws', headers)).status).toBe(101);
    });

    it.each([
      ['a subdomain of a listed name', 'www.chat.example.com'],
      ["a listed name followed by the attacker's domain", 'chat.example.com.attacker.example'],
      ['a listed name on a port that is not the listed one', 'localhost:1'],
    ])('refuses %s', async (_name, host) => {
      const app = await start({ allowedHosts: ['chat.example.com', 'localhost:2'] });
      const answer = await upgradeRequest(app.port, '/ws', { Host: host });
      expect([answer.status, answer.body]).toEqual([403, 'Host not allowed']);
    });

    it('refuses an upgrade without a Host header', async () => {
      const app = await start({ allowedHosts: ['chat.example.com'] });
      expect(await statusWithoutHost(app.port, '/ws', true)).toBe(403);
      expect(app.app.get(ConnectionsService).stats().upgradesRefusedByReason.origin).toBe(1);
    });

    it('refuses an unlisted host even when its origin is in allowedOrigins', async () => {
      const app = await start({
        allowedHosts: ['chat.example.com'],
        allowedOrigins: ['http://pages.example.com'],
      });
      const answer = await upgradeRequest(app.port, '/ws', {
        Host: 'attacker.example',
        Origin: 'http://pages.example.com',
      });
      expect(answer.status).toBe(403);
    });
  });

  it('without allowedHosts, a rebound same-origin upgrade gets in (the documented default)', async () => {
    const app = await start({});
    const answer = await upgradeRequest(app.port, '/ws', fromPage('attacker.example', app.port));
    expect(answer.status).toBe(101);
  });

  describe('the loopback-only dashboard', () => {
    it('refuses the page and the feed to a rebound page, and serves them to loopback names', async () => {
      const app = await start({ dashboard: {} });
      await memberOfSecretRoom(app);
      const rebound = fromPage('attacker.example', app.port);

      const page = await httpExchange(app.port, 'GET', PAGE, rebound);
      expect(page.status).toBe(403);
      expect(page.body).not.toContain(SECRET_ROOM);
      expect((await httpExchange(app.port, 'GET', `${PAGE}/dashboard.js`, rebound)).status).toBe(
        403,
      );
      const feed = await upgradeRequest(app.port, FEED, rebound);
      expect(feed.status).toBe(403);

      for (const host of ['127.0.0.1', 'localhost', '[::1]']) {
        const own = fromPage(host, app.port);
        const served = await httpExchange(app.port, 'GET', PAGE, own);
        expect([host, served.status]).toEqual([host, 200]);
        expect(served.body).toContain(SECRET_ROOM);
        expect([host, (await upgradeRequest(app.port, FEED, own)).status]).toEqual([host, 101]);
      }
    });

    it.each([
      ['a name that starts like localhost', 'localhost.attacker.example'],
      ['a name that embeds the loopback address', '127.0.0.1.nip.io'],
    ])('refuses %s', async (_name, host) => {
      const app = await start({ dashboard: {} });
      const headers = { Host: host };
      expect((await httpExchange(app.port, 'GET', PAGE, headers)).status).toBe(403);
      expect((await upgradeRequest(app.port, FEED, headers)).status).toBe(403);
    });

    it('refuses the page and the feed without a Host header', async () => {
      const app = await start({ dashboard: {} });
      expect(await statusWithoutHost(app.port, PAGE, false)).toBe(403);
      expect(await statusWithoutHost(app.port, FEED, true)).toBe(403);
    });

    it('also serves the hosts of allowedHosts, to loopback addresses only', async () => {
      const app = await start({ dashboard: {}, allowedHosts: ['ops.example.com', '127.0.0.1'] });
      const listed = fromPage('ops.example.com', app.port);
      expect((await httpExchange(app.port, 'GET', PAGE, listed)).status).toBe(200);
      expect((await upgradeRequest(app.port, FEED, listed)).status).toBe(101);
      const rebound = fromPage('attacker.example', app.port);
      expect((await httpExchange(app.port, 'GET', PAGE, rebound)).status).toBe(403);
      expect((await upgradeRequest(app.port, FEED, rebound)).status).toBe(403);
    });
  });

  describe('a dashboard with its own authorize', () => {
    const allowEveryone = (_request: IncomingMessage): boolean => true;

    it('with allowedHosts, still refuses a host that is neither listed nor loopback', async () => {
      const app = await start({
        dashboard: { authorize: allowEveryone },
        allowedHosts: ['ops.example.com'],
      });
      const rebound = fromPage('attacker.example', app.port);
      expect((await httpExchange(app.port, 'GET', PAGE, rebound)).status).toBe(403);
      expect((await upgradeRequest(app.port, FEED, rebound)).status).toBe(403);
      const listed = fromPage('ops.example.com', app.port);
      expect((await httpExchange(app.port, 'GET', PAGE, listed)).status).toBe(200);
      expect((await httpExchange(app.port, 'GET', PAGE, fromPage('localhost', 1))).status).toBe(
        200,
      );
    });

    it('without allowedHosts, leaves the decision to authorize (a token is not rebound)', async () => {
      const app = await start({ dashboard: { authorize: allowEveryone } });
      const anyHost = { Host: 'dashboard.example.com' };
      expect((await httpExchange(app.port, 'GET', PAGE, anyHost)).status).toBe(200);
    });
  });
});
