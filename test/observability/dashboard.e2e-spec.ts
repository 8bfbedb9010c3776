import type { IncomingMessage } from 'node:http';
import { Logger } from '@nestjs/common';
import {
  ConnectedSocket,
  ConnectionsService,
  type DashboardSnapshot,
  MessageBody,
  OnEvent,
  type WsConnection,
  WsRoomsGateway,
  WsRoomsModule,
  type WsRoomsOptions,
} from 'ws-rooms';
import { ProtocolClient } from '../support/protocol-client';
import { httpExchange, upgradeRequest } from '../support/raw-socket';
import { type RunningApp, startApp } from '../support/test-app';

// The dashboard over plain HTTP and websockets (the browser suite drives the page itself).

const PAGE = '/ws-rooms/dashboard';
const FEED = `${PAGE}/ws`;
const HEADER = 'x-ops-token';
const TOKEN = 'let-me-see';
const HOSTILE_ROOM = '<script>alert(1)</script>';

@WsRoomsGateway()
class JoinGateway {
  @OnEvent('join')
  async join(@ConnectedSocket() c: WsConnection, @MessageBody() room: string): Promise<string> {
    await c.join(room);
    return room;
  }
}

function byHeader(request: IncomingMessage): boolean {
  return request.headers[HEADER] === TOKEN;
}

function start(options: Partial<WsRoomsOptions>): Promise<RunningApp> {
  return startApp({
    imports: [WsRoomsModule.forRoot({ endpoint: '/ws', ...options })],
    providers: [JoinGateway],
  });
}

function stats(message: { payload?: string }): DashboardSnapshot {
  return JSON.parse(message.payload!) as DashboardSnapshot;
}

describe('dashboard (HTTP page and websocket feed)', () => {
  let running: RunningApp | undefined;
  const clients: ProtocolClient[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close().catch(() => undefined)));
    await running?.close();
    running = undefined;
    jest.restoreAllMocks();
  });

  async function connect(path: string, headers: Record<string, string> = {}) {
    const client = await ProtocolClient.connect(running!.wsUrl(path), { headers });
    clients.push(client);
    return client;
  }

  async function join(room: string): Promise<ProtocolClient> {
    const client = await connect('/ws');
    client.emit('join', room);
    await client.nextEvent('join');
    return client;
  }

  it('serves the page to authorized requests only, with strict headers and escaped room names', async () => {
    running = await start({ dashboard: { authorize: byHeader } });
    await join(HOSTILE_ROOM);

    const refused = await httpExchange(running.port, 'GET', PAGE);
    expect([refused.status, refused.body]).toEqual([403, 'Forbidden']);
    expect(refused.headers['cache-control']).toBe('no-store');
    const wrongToken = await httpExchange(running.port, 'GET', PAGE, { [HEADER]: 'guess' });
    expect(wrongToken.status).toBe(403);

    const page = await httpExchange(running.port, 'GET', PAGE, { [HEADER]: TOKEN });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['x-frame-options']).toBe('DENY');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    // Rendered on the server too: the name is escaped, never markup.
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.body).not.toContain(HOSTILE_ROOM);
    // Every script comes from the app, none inline.
    const scripts = [...page.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((match) => match[1])).toEqual([
      ' src="/iris-ws.js"',
      ` src="${PAGE}/dashboard.js"`,
    ]);
    expect(scripts.every((match) => match[2] === '')).toBe(true);
    expect(page.body).toContain(`data-feed="${FEED}"`);

    expect((await httpExchange(running.port, 'GET', `${PAGE}/dashboard.js`)).status).toBe(403);
    const script = await httpExchange(running.port, 'GET', `${PAGE}/dashboard.js`, {
      [HEADER]: TOKEN,
    });
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/^application\/javascript/);
    expect(script.body).toContain('window.WsRooms.WsRoomsClient');
    expect((await httpExchange(running.port, 'GET', '/iris-ws.js')).status).toBe(200);
  });

  it('feeds a stats event on connect and then every second; refuses what authorize or the origin policy refuse', async () => {
    running = await start({ dashboard: { authorize: byHeader }, allowedOrigins: [] });
    await join('lobby');
    await join('lobby');

    const noToken = await upgradeRequest(running.port, FEED);
    expect([noToken.status, noToken.body]).toEqual([403, 'Forbidden']);
    const crossOrigin = await upgradeRequest(running.port, FEED, {
      [HEADER]: TOKEN,
      Origin: 'http://evil.example',
    });
    expect([crossOrigin.status, crossOrigin.body]).toEqual([403, 'Origin not allowed']);
    const sameOrigin = await upgradeRequest(running.port, FEED, {
      [HEADER]: TOKEN,
      Origin: running.httpUrl,
    });
    expect(sameOrigin.status).toBe(101);

    const watcher = await connect(FEED, { [HEADER]: TOKEN });
    const first = stats(await watcher.nextEvent('stats'));
    expect(first).toMatchObject({
      endpoint: { name: 'default', path: '/ws' },
      connections: 2,
      roomCount: 1,
      rooms: [{ name: 'lobby', members: 2 }],
      totals: expect.objectContaining({ connections: 2, messagesIn: 2 }),
    });
    // The next one comes from the one-second timer: bounded wait, no sleep.
    const second = stats(await watcher.nextEvent('stats', 3000));
    expect(second.at).toBeGreaterThan(first.at);
    expect(second.history.length).toBeGreaterThanOrEqual(1);

    // The feed is its own endpoint: watching does not count as traffic of the watched one.
    const watched = running.app.get(ConnectionsService).stats();
    expect(watched.connections).toBe(2);
    expect(watched.messagesOut).toBe(2);
    expect(watched.upgradesRefused).toBe(0);
  });

  it('closes the feed with 1001 when the app shuts down', async () => {
    running = await start({ dashboard: { authorize: byHeader } });
    const watcher = await connect(FEED, { [HEADER]: TOKEN });
    await watcher.nextEvent('stats');
    const closed = watcher.waitClose();
    await running.close();
    running = undefined;
    expect((await closed).code).toBe(1001);
  });

  it('allows loopback requests only when no authorize is given (and says so at start-up)', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    running = await start({ dashboard: {} });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('only loopback requests'));
    // The test runs on 127.0.0.1: allowed (isLoopbackRequest has its own unit tests).
    expect((await httpExchange(running.port, 'GET', PAGE)).status).toBe(200);
    const watcher = await connect(FEED);
    expect(stats(await watcher.nextEvent('stats')).connections).toBe(0);
  });

  it('refuses, and logs once, when authorize throws', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    running = await start({
      dashboard: {
        path: '/ops/live',
        authorize: () => {
          throw new Error('session store down');
        },
      },
    });
    for (let i = 0; i < 3; i++) {
      expect((await httpExchange(running.port, 'GET', '/ops/live')).status).toBe(403);
    }
    expect((await upgradeRequest(running.port, '/ops/live/ws')).status).toBe(403);
    const logged = warn.mock.calls.filter(([message]) => String(message).includes('authorize'));
    expect(logged).toHaveLength(1);
    expect(String(logged[0][0])).toContain('session store down');
  });

  it('serves the client script itself when the endpoint does not', async () => {
    running = await start({ clientScriptPath: false, dashboard: { authorize: byHeader } });
    const page = await httpExchange(running.port, 'GET', PAGE, { [HEADER]: TOKEN });
    expect(page.body).toContain(`<script src="${PAGE}/iris-ws.js"></script>`);
    expect((await httpExchange(running.port, 'GET', '/iris-ws.js')).status).toBe(404);
    const script = await httpExchange(running.port, 'GET', `${PAGE}/iris-ws.js`);
    expect(script.status).toBe(200);
    expect(script.body).toContain('WsRoomsClient');
  });
});
