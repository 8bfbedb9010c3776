/**
 * `client.id` of the modern client, over real sockets against a Nest app: it is the server's id of
 * the connection from the first `onConnect` on, and the new id (not the previous one) when a resume
 * failed. The server's own record of each connection's id, taken in `onWsConnection`, is the truth.
 */
import { Module } from '@nestjs/common';
import WebSocket from 'ws';
import {
  ConnectedSocket,
  OnEvent,
  type OnWsConnection,
  type WsConnection,
  WsRoomsGateway,
  WsRoomsModule,
} from 'ws-rooms';
import {
  type RecoveryResult,
  WsRoomsClient,
  type WsRoomsClientError,
  type WsRoomsClientOptions,
} from 'ws-rooms/client';
import { next, WAIT_MS } from './support/modern-client-waits';
import { Recorder } from './support/recorder';
import { type RunningApp, startApp } from './support/test-app';

/** The id of every connection the server accepted, in order. */
const accepted = new Recorder<string>();

@WsRoomsGateway()
class IdGateway implements OnWsConnection {
  onWsConnection(c: WsConnection): void {
    accepted.push(c.id);
  }

  /** A deliberate server-side close with a retryable code: the client comes back, unresumable. */
  @OnEvent('kick')
  kick(@ConnectedSocket() c: WsConnection): void {
    c.disconnect(4500, 'kicked');
  }
}

@Module({
  imports: [WsRoomsModule.forRoot({ endpoint: '/ws', recovery: { windowMs: 5000 } })],
  providers: [IdGateway],
})
class RecoveringModule {}

@Module({
  imports: [WsRoomsModule.forRoot({ endpoint: '/ws' })],
  providers: [IdGateway],
})
class PlainModule {}

/** What a client saw in each `onConnect`: its state and id at that moment. */
interface AtConnect {
  readonly state: string;
  readonly id: string | undefined;
}

describe('client.id', () => {
  let running: RunningApp;
  const clients: WsRoomsClient[] = [];

  function connect(options: WsRoomsClientOptions): {
    client: WsRoomsClient;
    connects: Recorder<AtConnect>;
  } {
    const client = new WsRoomsClient(running.wsUrl('/ws'), { WebSocket, ...options });
    clients.push(client);
    const connects = new Recorder<AtConnect>();
    client.onConnect(() => connects.push({ state: client.state, id: client.id }));
    return { client, connects };
  }

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    accepted.items.length = 0;
    await running?.close();
  });

  it('is the server-assigned id in the first onConnect', async () => {
    running = await startApp({ imports: [RecoveringModule] });
    const { client, connects } = connect({ recovery: true });
    const first = await connects.waitForCount(1, WAIT_MS, 'the first onConnect');
    const serverId = await accepted.waitForCount(1, WAIT_MS, 'the server to accept');
    expect(first).toEqual({ state: 'open', id: serverId });
    expect(client.id).toBe(serverId);
  });

  it('is the new id, not the previous one, in the onConnect after a failed resume', async () => {
    running = await startApp({ imports: [RecoveringModule] });
    const { client, connects } = connect({
      recovery: true,
      reconnect: { initialDelay: 50, jitter: false },
    });
    const recoveries = new Recorder<RecoveryResult>();
    client.onRecovery((result) => recoveries.push(result));
    await connects.waitForCount(1, WAIT_MS, 'the first onConnect');
    const firstId = await accepted.waitForCount(1, WAIT_MS, 'the first connection');

    client.emit('kick');
    const second = await connects.waitForCount(2, WAIT_MS, 'the onConnect after the kick');
    const secondId = await accepted.waitForCount(2, WAIT_MS, 'the second connection');
    expect(secondId).not.toBe(firstId);
    expect(second).toEqual({ state: 'open', id: secondId });
    expect(await recoveries.waitForCount(2, WAIT_MS, 'the failed resume')).toMatchObject({
      status: 'failed',
      id: secondId,
      previousId: firstId,
    });
  });

  it('against a server without recovery, connects after sessionTimeout and says why', async () => {
    running = await startApp({ imports: [PlainModule] });
    const { client, connects } = connect({ recovery: true, sessionTimeout: 300 });
    const error = next<WsRoomsClientError>((deliver) => client.onError(deliver), 'the error');
    expect(await connects.waitForCount(1, WAIT_MS, 'onConnect')).toEqual({
      state: 'open',
      id: undefined,
    });
    expect((await error).code).toBe('WS_ROOMS_CLIENT_NO_SESSION');
    // The connection works: a message sent now reaches the server.
    client.emit('kick');
    await next<unknown>((deliver) => client.onDisconnect(deliver), 'the kick');
  });
});
