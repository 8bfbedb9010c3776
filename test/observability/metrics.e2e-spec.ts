import { type DynamicModule, Injectable, Logger } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import {
  ConnectedSocket,
  ConnectionsService,
  InjectConnections,
  MessageBody,
  OnEvent,
  type OnWsDisconnect,
  RoomsService,
  type WsConnection,
  WsRoomsErrorCode,
  WsRoomsGateway,
  WsRoomsModule,
  type WsRoomsOptions,
} from 'ws-rooms';
import { ProtocolClient, type ReceivedMessage, withTimeout } from '../support/protocol-client';
import { httpExchange, upgradeRequest } from '../support/raw-socket';
import { type RunningApp, startApp } from '../support/test-app';

const PREFIX = 'iris-websocket-message:';

@WsRoomsGateway()
class TrafficGateway implements OnWsDisconnect {
  private disconnected: (() => void)[] = [];

  onWsDisconnect(): void {
    for (const resolve of this.disconnected.splice(0)) resolve();
  }

  /** Resolves when the server has ended the next connection (bounded). */
  nextDisconnect(): Promise<void> {
    return withTimeout(
      new Promise<void>((resolve) => this.disconnected.push(resolve)),
      3000,
      'a disconnect',
    );
  }

  @OnEvent('join')
  async join(@ConnectedSocket() c: WsConnection, @MessageBody() room: string): Promise<string> {
    await c.join(room);
    return `joined ${room}`;
  }

  @OnEvent('say')
  say(@ConnectedSocket() c: WsConnection, @MessageBody() body: { room: string; text: string }) {
    c.to(body.room).emit('said', body.text);
  }

  @OnEvent('fail')
  fail(): never {
    throw new Error('boom');
  }
}

/** Exposes the second endpoint's services to the test. */
@Injectable()
class Probe {
  constructor(@InjectConnections('second') readonly second: ConnectionsService) {}
}

function appModule(options: Partial<WsRoomsOptions>, second?: Partial<WsRoomsOptions>) {
  const imports: DynamicModule[] = [WsRoomsModule.forRoot({ endpoint: '/ws', ...options })];
  if (second === undefined) return { imports, providers: [TrafficGateway] };
  imports.push(WsRoomsModule.forRoot({ endpoint: '/second', name: 'second', ...second }));
  return { imports, providers: [TrafficGateway, Probe] };
}

/** One sample of the exposition: `name{labels} value`. */
interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]] = pair[2];
    }
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of one series; fails when it is absent. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string>): number {
  const found = samples.filter(
    (sample) =>
      sample.name === name &&
      Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  if (found.length !== 1) {
    throw new Error(`${name}${JSON.stringify(labels)}: ${found.length} series`);
  }
  return found[0].value;
}

async function scrape(
  running: RunningApp,
  path = '/metrics',
): Promise<{ samples: Sample[]; contentType: string | undefined }> {
  const answer = await httpExchange(running.port, 'GET', path);
  expect(answer.status).toBe(200);
  return { samples: parseExposition(answer.body), contentType: answer.headers['content-type'] };
}

/** Bytes of a server frame carrying `payload` bytes (unmasked header). */
function frameBytes(payload: number): number {
  return payload + (payload < 126 ? 2 : payload < 65_536 ? 4 : 10);
}

/** Sends one event message and returns its size in bytes, as the server counts it. */
function send(client: ProtocolClient, event: string, type: number, payload: string): number {
  client.send(event, type, payload);
  return Buffer.byteLength(`${PREFIX}${event};${type};${payload}`);
}

describe('metrics (Prometheus endpoint over HTTP)', () => {
  let running: RunningApp | undefined;
  const clients: ProtocolClient[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close().catch(() => undefined)));
    await running?.close();
    running = undefined;
    jest.restoreAllMocks();
  });

  async function connect(path = '/ws'): Promise<ProtocolClient> {
    const client = await ProtocolClient.connect(running!.wsUrl(path));
    clients.push(client);
    return client;
  }

  it('exports every counter after real traffic, by endpoint, with exact values', async () => {
    running = await startApp(appModule({ metrics: {} }, { metrics: {} }));
    const alice = await connect();
    const bob = await connect();
    let bytesIn = 0;

    bytesIn += send(alice, 'join', 0, 'room-a');
    await alice.nextEvent('join');
    bytesIn += send(bob, 'join', 0, 'room-a');
    await bob.nextEvent('join');
    // No handler: counted, never answered; the next answer on the same socket proves it was read.
    bytesIn += send(alice, 'nobody', 0, 'x');
    bytesIn += send(alice, 'say', 4, JSON.stringify({ room: 'room-a', text: 'hi' }));
    await alice.nextEvent('said');
    await bob.nextEvent('said');
    const malformed = `${PREFIX}no-semicolon`;
    alice.sendRaw(malformed);
    bytesIn += Buffer.byteLength(malformed);
    const malformedError = await alice.nextEvent('ws-rooms:error');
    expect(JSON.parse(malformedError.payload!)).toMatchObject({
      code: WsRoomsErrorCode.MalformedMessage,
    });
    bytesIn += send(bob, 'fail', 0, '');
    const handlerError = await bob.nextEvent('ws-rooms:error');
    expect(JSON.parse(handlerError.payload!)).toMatchObject({
      code: WsRoomsErrorCode.HandlerError,
    });
    const refused = await upgradeRequest(running.port, '/ws', { Origin: 'http://evil.example' });
    expect(refused.status).toBe(403);

    const { samples, contentType } = await scrape(running);
    // Prometheus' text format 0.0.4 (Express may reorder the parameters).
    expect(contentType?.split(/;\s*/).sort()).toEqual([
      'charset=utf-8',
      'text/plain',
      'version=0.0.4',
    ]);
    const main = { endpoint: 'default' };
    const received: ReceivedMessage[] = [...alice.received, ...bob.received];
    expect(received).toHaveLength(6);
    const expected: Record<string, number> = {
      ws_rooms_connections: 2,
      ws_rooms_rooms: 1,
      ws_rooms_connections_opened_total: 2,
      ws_rooms_messages_in_total: 6,
      // Two replies, one broadcast to two members, two error events.
      ws_rooms_messages_out_total: 6,
      ws_rooms_bytes_in_total: bytesIn,
      ws_rooms_bytes_out_total: received.reduce((sum, m) => sum + frameBytes(m.raw.length), 0),
      ws_rooms_unhandled_events_total: 1,
      ws_rooms_malformed_messages_total: 1,
      ws_rooms_handler_errors_total: 1,
      ws_rooms_slow_consumer_cuts_total: 0,
      ws_rooms_pong_timeouts_total: 0,
      ws_rooms_volatile_drops_total: 0,
      ws_rooms_rate_limit_cuts_total: 0,
    };
    for (const [name, value] of Object.entries(expected)) {
      expect([name, valueOf(samples, name, main)]).toEqual([name, value]);
    }
    const refusals = samples.filter(
      (s) => s.name === 'ws_rooms_upgrades_refused_total' && s.labels.endpoint === 'default',
    );
    expect(Object.fromEntries(refusals.map((s) => [s.labels.reason, s.value]))).toEqual({
      unavailable: 0,
      capacity: 0,
      origin: 1,
      auth: 0,
      guard: 0,
      id: 0,
      timeout: 0,
      error: 0,
    });
    const errors = samples.filter(
      (s) => s.name === 'ws_rooms_errors_total' && s.labels.endpoint === 'default',
    );
    expect(Object.fromEntries(errors.map((s) => [s.labels.code, s.value]))).toEqual({
      WS_ROOMS_MALFORMED_MESSAGE: 1,
      WS_ROOMS_HANDLER_ERROR: 1,
    });
    // The second endpoint shares the path, told apart by its label.
    expect(valueOf(samples, 'ws_rooms_connections', { endpoint: 'second' })).toBe(0);
    expect(valueOf(samples, 'ws_rooms_messages_in_total', { endpoint: 'second' })).toBe(0);

    // The typed API reads the same counters.
    const stats = running.app.get(ConnectionsService).stats();
    expect(stats).toMatchObject({
      connections: 2,
      rooms: 1,
      messagesIn: 6,
      messagesOut: 6,
      bytesIn,
      bytesOut: expected.ws_rooms_bytes_out_total,
      upgradesRefused: 1,
      upgradesRefusedByReason: expect.objectContaining({ origin: 1 }),
      errorsByCode: { WS_ROOMS_MALFORMED_MESSAGE: 1, WS_ROOMS_HANDLER_ERROR: 1 },
    });
    const rooms = running.app.get(RoomsService);
    expect(rooms.localRoomCount).toBe(1);
    await expect(rooms.roomCount()).resolves.toBe(1);
    expect(running.app.get(Probe).second.stats().connections).toBe(0);
  });

  it('follows the traffic between scrapes (collected on scrape, not cached)', async () => {
    running = await startApp(appModule({ metrics: {} }));
    const first = await scrape(running);
    expect(valueOf(first.samples, 'ws_rooms_connections', { endpoint: 'default' })).toBe(0);

    const alice = await connect();
    send(alice, 'join', 0, 'r1');
    await alice.nextEvent('join');
    const second = await scrape(running);
    expect(valueOf(second.samples, 'ws_rooms_connections', { endpoint: 'default' })).toBe(1);
    expect(valueOf(second.samples, 'ws_rooms_rooms', { endpoint: 'default' })).toBe(1);

    const gone = running.app.get(TrafficGateway).nextDisconnect();
    await alice.close();
    clients.length = 0;
    await gone;
    const third = await scrape(running);
    expect(valueOf(third.samples, 'ws_rooms_connections', { endpoint: 'default' })).toBe(0);
    expect(valueOf(third.samples, 'ws_rooms_rooms', { endpoint: 'default' })).toBe(0);
    expect(
      valueOf(third.samples, 'ws_rooms_connections_opened_total', { endpoint: 'default' }),
    ).toBe(1);
  });

  it('registers in the app registry with the prefix and path given, and leaves it on close', async () => {
    const registry = new Registry();
    const own = new Counter({ name: 'app_orders_total', help: 'Orders.', registers: [registry] });
    own.inc(3);
    const options = { metrics: { registry, prefix: 'chat_', path: '/internal/metrics' } };
    running = await startApp(appModule(options));
    const client = await connect();
    send(client, 'join', 0, 'lobby');
    await client.nextEvent('join');

    const { samples } = await scrape(running, '/internal/metrics');
    expect(valueOf(samples, 'app_orders_total', {})).toBe(3);
    expect(valueOf(samples, 'chat_connections', { endpoint: 'default' })).toBe(1);
    expect(valueOf(samples, 'chat_messages_in_total', { endpoint: 'default' })).toBe(1);
    expect(samples.some((s) => s.name.startsWith('ws_rooms_'))).toBe(false);
    expect((await httpExchange(running.port, 'GET', '/metrics')).status).toBe(404);

    await Promise.all(clients.splice(0).map((c) => c.close()));
    await running.close();
    running = undefined;
    expect(registry.getSingleMetric('chat_connections')).toBeUndefined();
    expect(registry.getSingleMetric('app_orders_total')).toBe(own);
    // The same registry serves a new app (e.g. the next test, or a hot restart) without a clash.
    running = await startApp(appModule(options));
    const again = await scrape(running, '/internal/metrics');
    expect(valueOf(again.samples, 'chat_connections', { endpoint: 'default' })).toBe(0);
  });

  it('serves no metrics route when the option is off (the default)', async () => {
    running = await startApp(appModule({}));
    expect((await httpExchange(running.port, 'GET', '/metrics')).status).toBe(404);
  });

  it('logs no line per malformed message: they are counted instead', async () => {
    running = await startApp(appModule({ metrics: {} }));
    const client = await connect();
    const spies = (['log', 'warn', 'error', 'debug', 'verbose', 'fatal'] as const).map((level) =>
      jest.spyOn(Logger.prototype, level),
    );
    const count = 50;
    for (let i = 0; i < count; i++) client.sendRaw(`${PREFIX}garbage-${i}`);
    for (let i = 0; i < count; i++) await client.nextEvent('ws-rooms:error');
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    const { samples } = await scrape(running);
    expect(valueOf(samples, 'ws_rooms_malformed_messages_total', { endpoint: 'default' })).toBe(
      count,
    );
    expect(
      valueOf(samples, 'ws_rooms_errors_total', {
        endpoint: 'default',
        code: WsRoomsErrorCode.MalformedMessage,
      }),
    ).toBe(count);
  });

  it('fails the start-up with a typed error when prom-client is missing', async () => {
    await jest.isolateModulesAsync(async () => {
      jest.doMock('prom-client', () => {
        throw Object.assign(new Error("Cannot find module 'prom-client'"), {
          code: 'MODULE_NOT_FOUND',
        });
      });
      const isolated = await import('ws-rooms');
      const { Test } = await import('@nestjs/testing');
      const moduleRef = await Test.createTestingModule({
        imports: [isolated.WsRoomsModule.forRoot({ endpoint: '/ws', metrics: {} })],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      try {
        await expect(app.init()).rejects.toMatchObject({
          name: 'WsRoomsMetricsError',
          code: isolated.WsRoomsMetricsErrorCode.MissingDependency,
          message: expect.stringContaining('npm install prom-client'),
        });
      } finally {
        await app.close().catch(() => undefined);
      }
    });
  });
});
