import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { Logger } from '@nestjs/common';
import {
  ConnectionsService,
  type OnWsConnection,
  type WsConnection,
  WsRoomsGateway,
  WsRoomsModule,
  type WsRoomsOptions,
} from 'ws-rooms';
import { AppModule } from '../../src/app.module';
import { DISCONNECT_LOG_LINES, DISCONNECT_LOG_WINDOW_MS } from '../../src/chat.gateway';
import { eventually, ProtocolClient, withTimeout } from '../support/protocol-client';
import { PLATFORMS, type RunningApp, startAppOn } from '../support/test-app';

/** Counts the connections that reached the gateway. */
@WsRoomsGateway()
class CountingGateway implements OnWsConnection {
  opened = 0;

  onWsConnection(_connection: WsConnection): void {
    this.opened++;
  }
}

/** How the server answered one upgrade. */
interface Answer {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly body: string;
}

/**
 * One upgrade from `localAddress` (Linux routes all of 127.0.0.0/8 to loopback, so each is an
 * address of its own). A 101 socket is destroyed at once: a client that connects and hangs up.
 */
function upgradeFrom(port: number, localAddress = '127.0.0.1'): Promise<Answer> {
  return withTimeout(
    new Promise<Answer>((resolve, reject) => {
      const request = httpRequest({
        host: '127.0.0.1',
        port,
        localAddress,
        path: '/ws',
        agent: false,
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        },
      });
      request.on('upgrade', (response, socket: Socket) => {
        socket.destroy();
        resolve({ status: response.statusCode ?? 0, retryAfter: undefined, body: '' });
      });
      request.on('response', (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            retryAfter: response.headers['retry-after'],
            body,
          }),
        );
      });
      request.on('error', reject);
      request.end();
    }),
    5000,
    `upgrade from ${localAddress}`,
  );
}

/** `count` upgrades from one address, all sent at once. */
function burstOf(port: number, count: number, localAddress?: string): Promise<Answer[]> {
  return Promise.all(Array.from({ length: count }, () => upgradeFrom(port, localAddress)));
}

describe.each(PLATFORMS)('connection rate per address (%s)', (platform) => {
  let running: RunningApp | undefined;

  async function start(options: Partial<WsRoomsOptions>): Promise<RunningApp> {
    running = await startAppOn(platform, {
      imports: [WsRoomsModule.forRoot({ endpoint: '/ws', ...options })],
      providers: [CountingGateway],
    });
    return running;
  }

  afterEach(async () => {
    await running?.close();
    running = undefined;
    jest.restoreAllMocks();
  });

  it('lets a burst in, then answers 429 with Retry-After before any other check, counted as capacity', async () => {
    // A sustained rate of 1/s: the burst is what gets in while the test runs (plus a second's worth).
    const app = await start({ maxConnectionRatePerAddress: 1, maxConnectionBurstPerAddress: 10 });
    const startedAt = performance.now();
    const answers = await burstOf(app.port, 30);
    const seconds = (performance.now() - startedAt) / 1000;
    const admitted = answers.filter((answer) => answer.status === 101).length;
    const refused = answers.filter((answer) => answer.status === 429);
    expect(admitted).toBeGreaterThanOrEqual(10);
    expect(admitted).toBeLessThanOrEqual(10 + Math.ceil(seconds));
    expect(refused).toHaveLength(30 - admitted);
    for (const answer of refused) {
      expect(answer.body).toBe('Too many connection attempts');
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    const connections = app.app.get(ConnectionsService);
    expect(connections.stats()).toMatchObject({
      upgradesRefused: refused.length,
      upgradesRefusedByReason: expect.objectContaining({ capacity: refused.length }),
    });
    await eventually(
      () => app.app.get(CountingGateway).opened === admitted,
      3000,
      'the admitted connections to reach the gateway',
    );
  });

  it('counts each address on its own: another address still gets in', async () => {
    const app = await start({ maxConnectionRatePerAddress: 1, maxConnectionBurstPerAddress: 3 });
    const startedAt = performance.now();
    const flooded = await burstOf(app.port, 10, '127.0.0.1');
    const seconds = (performance.now() - startedAt) / 1000;
    // The burst of 3 gets in, plus one a second of the test (a slow machine refills more).
    expect(flooded.filter((answer) => answer.status === 429).length).toBeGreaterThanOrEqual(
      10 - 3 - Math.ceil(seconds),
    );
    const other = await burstOf(app.port, 3, '127.0.0.2');
    expect(other.map((answer) => answer.status)).toEqual([101, 101, 101]);
  });

  it('is checked before capacity and authentication: an address out of tokens gets 429 only', async () => {
    let authenticated = 0;
    const app = await start({
      maxConnectionRatePerAddress: 1,
      maxConnectionBurstPerAddress: 3,
      maxConnections: 1,
      authenticate: () => {
        authenticated++;
        return { ok: true };
      },
    });
    const startedAt = performance.now();
    const held = await ProtocolClient.connect(app.wsUrl('/ws'));
    try {
      // Two tokens left: two upgrades reach the capacity check (503), the rest stop at the rate,
      // but for one token a second of the test (a slow machine refills more).
      const answers = await burstOf(app.port, 10);
      const seconds = (performance.now() - startedAt) / 1000;
      const statuses = answers.map((answer) => answer.status);
      const unavailable = statuses.filter((status) => status === 503).length;
      expect(unavailable).toBeGreaterThanOrEqual(2);
      expect(unavailable).toBeLessThanOrEqual(2 + Math.ceil(seconds));
      expect(statuses.filter((status) => status === 429)).toHaveLength(10 - unavailable);
      expect(authenticated).toBe(1);
    } finally {
      held.ws.terminate();
    }
  });

  it('is on by default (20/s, a burst of 40): a connect-and-hang-up loop is cut short', async () => {
    const app = await start({});
    const startedAt = performance.now();
    const answers = await burstOf(app.port, 100);
    const seconds = (performance.now() - startedAt) / 1000;
    const admitted = answers.filter((answer) => answer.status === 101).length;
    expect(admitted).toBeGreaterThanOrEqual(40);
    expect(admitted).toBeLessThanOrEqual(40 + Math.ceil(20 * seconds));
    expect(answers.filter((answer) => answer.status === 429)).toHaveLength(100 - admitted);
  });

  it('0 disables it', async () => {
    const app = await start({ maxConnectionRatePerAddress: 0 });
    const answers = await burstOf(app.port, 100);
    expect(answers.every((answer) => answer.status === 101)).toBe(true);
  });
});

describe('the demo under connect-and-disconnect churn', () => {
  let running: RunningApp | undefined;

  afterEach(async () => {
    await running?.close();
    running = undefined;
    jest.restoreAllMocks();
  });

  it('refuses the excess upgrades and logs at most its budget of disconnect lines', async () => {
    const logged: string[] = [];
    jest.spyOn(Logger.prototype, 'log').mockImplementation((message: unknown) => {
      logged.push(String(message));
    });
    running = await startAppOn('express', { imports: [AppModule] });
    const url = running.wsUrl('/my_endpoint');
    // As fast as one client can: connect, wait for the open, hang up; 150 times.
    let admitted = 0;
    let refused = 0;
    const startedAt = performance.now();
    for (let i = 0; i < 150; i++) {
      try {
        const client = await ProtocolClient.connect(url);
        admitted++;
        client.ws.terminate();
      } catch (error) {
        expect(String(error)).toContain('HTTP 429');
        refused++;
      }
    }
    const loopSeconds = (performance.now() - startedAt) / 1000;
    // The default rate (20/s, a burst of 40) admits at most the burst plus what refilled while the
    // loop ran. How many are refused depends on how fast this machine connects (a loaded one may
    // connect slower than the rate and be refused none), so the bound follows the time measured.
    expect(admitted).toBeGreaterThanOrEqual(40);
    expect(admitted).toBeLessThanOrEqual(40 + Math.ceil(20 * loopSeconds));
    expect(refused).toBe(150 - admitted);
    expect(admitted).toBeGreaterThan(DISCONNECT_LOG_LINES);
    const connections = running.app.get(ConnectionsService);
    await eventually(
      () => connections.stats().connectionsOpened === admitted && connections.count === 0,
      5000,
      'every admitted connection to be gone',
    );
    // The budget is per window: a loop slowed past one window may log a budget per window it spans.
    const windows = Math.max(
      1,
      Math.ceil((performance.now() - startedAt) / DISCONNECT_LOG_WINDOW_MS),
    );
    const disconnectLines = logged.filter((line) => line.includes('has been disconnected!'));
    expect(disconnectLines.length).toBeGreaterThanOrEqual(DISCONNECT_LOG_LINES);
    expect(disconnectLines.length).toBeLessThanOrEqual(DISCONNECT_LOG_LINES * windows);
  });
});
