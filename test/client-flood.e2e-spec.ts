/**
 * The modern client against the server's flood policy, over real sockets: the first excess message
 * comes back as a `WS_ROOMS_RATE_LIMITED` server error while the connection stays open; a client
 * that keeps flooding is closed with 1013 and comes back by itself, after `tryAgainLaterDelay`
 * rather than the short backoff delay.
 */
import { Module } from '@nestjs/common';
import WebSocket from 'ws';
import { WsRoomsModule } from 'ws-rooms';
import {
  type DisconnectInfo,
  WsRoomsClient,
  WsRoomsErrorCode,
  type WsRoomsServerError,
} from 'ws-rooms/client';
import { next, WAIT_MS } from './support/modern-client-waits';
import { type RunningApp, startApp } from './support/test-app';

const BURST = 5;

@Module({
  imports: [WsRoomsModule.forRoot({ endpoint: '/ws', maxMessageRate: 1, maxMessageBurst: BURST })],
})
class FloodModule {}

describe('the modern client and the flood policy', () => {
  let running: RunningApp;
  let client: WsRoomsClient | undefined;

  beforeAll(async () => {
    running = await startApp({ imports: [FloodModule] });
  });
  afterEach(() => client?.close());
  afterAll(async () => running.close());

  it('surfaces the rate-limit error, then reconnects after a 1013 no sooner than tryAgainLaterDelay', async () => {
    const tryAgainLaterDelay = 600;
    client = new WsRoomsClient(running.wsUrl('/ws'), {
      WebSocket,
      // Without the 1013 rule the client would be back after 50 ms.
      reconnect: { initialDelay: 50, jitter: false, tryAgainLaterDelay },
    });
    const flooder = client;
    await next<void>((deliver) => flooder.onConnect(deliver), 'the first connection');

    const rateLimited = next<WsRoomsServerError>(
      (deliver) => flooder.onServerError(deliver),
      'the rate-limit error',
    );
    for (let i = 0; i <= BURST; i++) flooder.emit('noise', i);
    const error = await rateLimited;
    expect(error.code).toBe(WsRoomsErrorCode.RateLimited);
    // Told, not cut: the connection is still there.
    expect(flooder.state).toBe('open');

    const cut = next<DisconnectInfo>((deliver) => flooder.onDisconnect(deliver), 'the 1013 close');
    const back = next<void>(
      (deliver) => flooder.onConnect(deliver),
      'the reconnection',
      WAIT_MS + tryAgainLaterDelay,
    );
    for (let i = 0; i <= BURST; i++) flooder.emit('noise', i);
    expect(await cut).toMatchObject({ code: 1013, willReconnect: true });
    const cutAt = performance.now();
    await back;
    // Timers may fire a millisecond early; the point is 600 ms, not 50.
    expect(performance.now() - cutAt).toBeGreaterThanOrEqual(tryAgainLaterDelay - 5);
    expect(flooder.state).toBe('open');
  });
});
