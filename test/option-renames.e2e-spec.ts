/**
 * The renamed options over real sockets: `messagePrefix` (formerly `prefix`) is the text the
 * endpoint's event messages start with in both directions, and `metrics.metricNamePrefix` (formerly
 * `metrics.prefix`) the start of every scraped metric name. Their deprecated aliases keep working
 * (test/options.e2e-spec.ts and test/observability/metrics.e2e-spec.ts still use them); giving
 * both names with different values stops `forRoot`.
 */
import {
  ConnectedSocket,
  LEGACY_PREFIX,
  MessageBody,
  OnEvent,
  type OnWsConnection,
  type WsConnection,
  WsRoomsError,
  WsRoomsErrorCode,
  WsRoomsGateway,
  WsRoomsModule,
  type WsRoomsOptions,
} from 'ws-rooms';
import { ProtocolClient } from './support/protocol-client';
import { httpExchange } from './support/raw-socket';
import { type RunningApp, startApp } from './support/test-app';

@WsRoomsGateway()
class EchoGateway implements OnWsConnection {
  onWsConnection(connection: WsConnection): void {
    connection.emit('welcome', connection.id);
  }

  @OnEvent('echo')
  echo(@ConnectedSocket() c: WsConnection, @MessageBody() text: string): void {
    c.emit('echo', text);
  }
}

describe('renamed options', () => {
  let running: RunningApp | undefined;
  const clients: ProtocolClient[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await running?.close();
    running = undefined;
  });

  async function start(options: WsRoomsOptions): Promise<RunningApp> {
    running = await startApp({
      imports: [WsRoomsModule.forRoot(options)],
      providers: [EchoGateway],
    });
    return running;
  }

  it('messagePrefix: the endpoint speaks and reads the given prefix only', async () => {
    const app = await start({ endpoint: '/ws', messagePrefix: LEGACY_PREFIX });
    const client = await ProtocolClient.connect(app.wsUrl('/ws'), { prefix: LEGACY_PREFIX });
    clients.push(client);
    const welcome = await client.nextEvent('welcome');
    expect(welcome.raw.toString()).toBe(`${LEGACY_PREFIX}welcome;0;${welcome.payload}`);

    client.emit('echo', 'hello iris 6.0');
    const echo = await client.nextEvent('echo');
    expect(echo.raw.toString()).toBe(`${LEGACY_PREFIX}echo;0;hello iris 6.0`);
  });

  it('metrics.metricNamePrefix: every metric name starts with it', async () => {
    const app = await start({ endpoint: '/ws', metrics: { metricNamePrefix: 'chat_' } });
    const client = await ProtocolClient.connect(app.wsUrl('/ws'));
    clients.push(client);
    await client.nextEvent('welcome');

    const scrape = await httpExchange(app.port, 'GET', '/metrics');
    expect(scrape.status).toBe(200);
    expect(scrape.body).toMatch(/^chat_connections\{endpoint="default"\} 1$/m);
    expect(scrape.body).not.toContain('ws_rooms_');
  });

  it.each([
    ['messagePrefix', { messagePrefix: 'a:', prefix: 'b:' }],
    ['metrics.metricNamePrefix', { metrics: { metricNamePrefix: 'a_', prefix: 'b_' } }],
  ] as const)('%s and its deprecated alias with different values stop forRoot', (key, given) => {
    let failure: unknown;
    try {
      WsRoomsModule.forRoot({ endpoint: '/ws', ...given });
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(WsRoomsError);
    expect(failure).toMatchObject({
      code: WsRoomsErrorCode.InvalidOption,
      message: expect.stringContaining(`"${key}"`),
    });
  });
});
