import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import WebSocket from 'ws';
import { resolveOptions } from '../options/resolve-options';
import { createStats } from '../server/server-stats';
import { RoomIndex } from '../store/room-index';
import {
  Dashboard,
  DASHBOARD_STATS_EVENT,
  isLoopbackAddress,
  isLoopbackRequest,
} from './dashboard';
import type { DashboardSnapshot } from './dashboard-snapshot';

const PREFIX = 'iris-websocket-message:';

function requestFrom(remoteAddress: string | undefined, host?: string): IncomingMessage {
  return { socket: { remoteAddress }, headers: { host } } as unknown as IncomingMessage;
}

describe('isLoopbackAddress', () => {
  it.each(['127.0.0.1', '127.10.0.3', '::1', '::ffff:127.0.0.1'])('accepts %s', (address) => {
    expect(isLoopbackAddress(requestFrom(address))).toBe(true);
  });

  it.each(['10.0.0.1', '192.168.1.2', '::ffff:10.0.0.1', '2001:db8::1', '', undefined])(
    'refuses %s',
    (address) => {
      expect(isLoopbackAddress(requestFrom(address))).toBe(false);
    },
  );
});

describe('isLoopbackRequest (the default authorize)', () => {
  it.each([
    ['127.0.0.1', 'localhost:3000'],
    ['127.0.0.1', '127.0.0.1:3000'],
    ['::1', '[::1]:3000'],
    ['::ffff:127.0.0.1', 'LOCALHOST'],
  ])('accepts a request from %s to %s', (address, host) => {
    expect(isLoopbackRequest(requestFrom(address, host))).toBe(true);
  });

  it.each([
    ['a rebound name', '127.0.0.1', 'attacker.example:3000'],
    ['a name that starts like localhost', '127.0.0.1', 'localhost.attacker.example'],
    ['no Host header', '127.0.0.1', undefined],
    ['a loopback Host from another machine', '10.0.0.1', 'localhost:3000'],
  ])('refuses %s', (_name, address, host) => {
    expect(isLoopbackRequest(requestFrom(address, host))).toBe(false);
  });
});

/** A watched endpoint without a server: its counters and its room index. */
function watchedEndpoint() {
  const index = new RoomIndex();
  const stats = createStats(index);
  const options = resolveOptions({ endpoint: '/chat', name: 'chat', dashboard: {} });
  return { name: 'chat', options, stats, index };
}

/** Reads `stats` events of one feed connection, each awaited with a bound. */
class FeedReader {
  private readonly queue: DashboardSnapshot[] = [];
  private waiter: ((snapshot: DashboardSnapshot) => void) | undefined;
  readonly closed: Promise<number>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      const head = `${PREFIX}${DASHBOARD_STATS_EVENT};4;`;
      if (!text.startsWith(head)) return;
      const snapshot = JSON.parse(text.slice(head.length)) as DashboardSnapshot;
      if (this.waiter !== undefined) {
        const resolve = this.waiter;
        this.waiter = undefined;
        resolve(snapshot);
      } else this.queue.push(snapshot);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  }

  next(timeoutMs = 3000): Promise<DashboardSnapshot> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no stats event in time')), timeoutMs);
      this.waiter = (snapshot) => {
        clearTimeout(timer);
        resolve(snapshot);
      };
    });
  }
}

describe('Dashboard', () => {
  let httpServer: Server;
  let dashboard: Dashboard | undefined;
  let port: number;

  beforeEach(async () => {
    httpServer = createServer();
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    port = (httpServer.address() as AddressInfo).port;
  });

  afterEach(async () => {
    await dashboard?.stop();
    dashboard = undefined;
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    jest.restoreAllMocks();
  });

  function open(path = '/ws-rooms/dashboard/ws'): Promise<FeedReader> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
    const reader = new FeedReader(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(reader));
      ws.once('error', reject);
    });
  }

  it('feeds the current state on connect, then on every tick, and stops cleanly', async () => {
    const watched = watchedEndpoint();
    let now = 10_000;
    dashboard = new Dashboard(
      watched,
      { path: '/ws-rooms/dashboard', authorize: () => true },
      new Logger('test'),
      { now: () => now, intervalMs: 25 },
    );
    await dashboard.start(httpServer);
    const timer = (dashboard as unknown as { timer: NodeJS.Timeout }).timer;
    // The dashboard never keeps the process alive on its own.
    expect(timer.hasRef()).toBe(false);

    watched.index.add('a', 'lobby');
    watched.stats.connections = 1;
    const feed = await open();
    const first = await feed.next();
    expect(first).toMatchObject({
      endpoint: { name: 'chat', path: '/chat' },
      connections: 1,
      rooms: [{ name: 'lobby', members: 1 }],
    });

    watched.stats.messagesIn = 50;
    now += 1000;
    // Ticks that fired before the change may be queued: the first one after it must show it.
    let later = await feed.next();
    const deadline = Date.now() + 3000;
    while (later.totals.messagesIn !== 50) {
      if (Date.now() > deadline) throw new Error('no stats event showed messagesIn 50');
      later = await feed.next();
    }
    expect(later.history.at(-1)).toMatchObject({ in: 50 });

    const clear = jest.spyOn(global, 'clearInterval');
    await dashboard.stop();
    expect(clear).toHaveBeenCalledWith(timer);
    expect(await feed.closed).toBe(1001);
    dashboard = undefined;
  });

  it('builds no snapshot on a tick nobody watches, but keeps sampling the rates', async () => {
    const watched = watchedEndpoint();
    let now = 0;
    dashboard = new Dashboard(
      watched,
      { path: '/ws-rooms/dashboard', authorize: () => true },
      new Logger('test'),
      { now: () => now, intervalMs: 60_000 },
    );
    await dashboard.start(httpServer);
    const snapshot = jest.spyOn(dashboard, 'snapshot');
    watched.stats.messagesIn = 7;
    now = 1000;
    (dashboard as unknown as { tick(): void }).tick();
    expect(snapshot).not.toHaveBeenCalled();
    snapshot.mockRestore();
    expect(dashboard.snapshot().history).toEqual([{ at: 1000, in: 7, out: 0 }]);
  });

  it('refuses feed upgrades that authorize refuses, with 403', async () => {
    const watched = watchedEndpoint();
    dashboard = new Dashboard(
      watched,
      { path: '/ops', authorize: (request) => request.headers['x-token'] === 'ok' },
      new Logger('test'),
    );
    await dashboard.start(httpServer);
    const refused = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ops/ws`);
      // Terminating after a refusal reports an error: expected here.
      ws.on('error', () => undefined);
      ws.once('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0);
        ws.terminate();
      });
      ws.once('open', () => reject(new Error('opened')));
    });
    expect(refused).toBe(403);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ops/ws`, { headers: { 'x-token': 'ok' } });
    const reader = new FeedReader(ws);
    expect((await reader.next()).endpoint.name).toBe('chat');
    ws.close();
    expect(watched.stats.upgradesRefused).toBe(0);
    expect(dashboard.feed.stats.upgradesRefusedByReason.guard).toBe(1);
  });
});
