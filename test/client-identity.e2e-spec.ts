/**
 * The connection id without recovery, over real sockets against a Nest app: the modern client asks
 * for it (`ws-rooms-identity=1`), the server's identity extension sends `ws-rooms:identity` as the
 * connection's first message, and `client.id` is the server's id in the first `onConnect` and the
 * new id after a reconnect. A client that does not ask (the original Iris script, here by hand)
 * gets no extra message: its first message is the application's.
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
import { WsRoomsClient, type WsRoomsClientError, type WsRoomsClientOptions } from 'ws-rooms/client';
import { WsRoomsTestClient } from 'ws-rooms/testing';
import { Test } from '@nestjs/testing';
import { next, WAIT_MS } from './support/modern-client-waits';
import { ProtocolClient } from './support/protocol-client';
import { Recorder } from './support/recorder';
import { type RunningApp, startApp } from './support/test-app';

/** The id of every connection the server accepted, in order. */
const accepted = new Recorder<string>();

@WsRoomsGateway()
class WelcomeGateway implements OnWsConnection {
  onWsConnection(c: WsConnection): void {
    accepted.push(c.id);
    c.emit('welcome', c.id);
  }

  /** A deliberate server-side close with a retryable code: the client comes back as a new connection. */
  @OnEvent('kick')
  kick(@ConnectedSocket() c: WsConnection): void {
    c.disconnect(4500, 'kicked');
  }
}

@Module({
  imports: [WsRoomsModule.forRoot({ endpoint: '/ws' })],
  providers: [WelcomeGateway],
})
class PlainModule {}

/** What a client saw in each `onConnect`: its state and id at that moment. */
interface AtConnect {
  readonly state: string;
  readonly id: string | undefined;
}

describe('client.id without recovery (ws-rooms:identity)', () => {
  let running: RunningApp;
  const clients: WsRoomsClient[] = [];
  const sockets: ProtocolClient[] = [];

  function connect(options: WsRoomsClientOptions = {}): {
    client: WsRoomsClient;
    connects: Recorder<AtConnect>;
    errors: Recorder<WsRoomsClientError>;
  } {
    const client = new WsRoomsClient(running.wsUrl('/ws'), { WebSocket, ...options });
    clients.push(client);
    const connects = new Recorder<AtConnect>();
    const errors = new Recorder<WsRoomsClientError>();
    client.onConnect(() => connects.push({ state: client.state, id: client.id }));
    client.onError((error) => errors.push(error));
    return { client, connects, errors };
  }

  beforeEach(async () => {
    running = await startApp({ imports: [PlainModule] });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    for (const socket of sockets.splice(0)) socket.ws.terminate();
    accepted.items.length = 0;
    await running.close();
  });

  it('is the server-assigned id in the first onConnect, with recovery off', async () => {
    const { client, connects, errors } = connect();
    const welcome = next<unknown>((deliver) => client.on('welcome', deliver), 'the welcome');
    const first = await connects.waitForCount(1, WAIT_MS, 'the first onConnect');
    const serverId = await accepted.waitForCount(1, WAIT_MS, 'the server to accept');
    expect(first).toEqual({ state: 'open', id: serverId });
    // The application's first message comes after the id, and is about the same connection.
    expect(await welcome).toBe(serverId);
    expect(errors.items).toEqual([]);
  });

  it('is the new id in the onConnect after a reconnect', async () => {
    const { client, connects } = connect({ reconnect: { initialDelay: 50, jitter: false } });
    await connects.waitForCount(1, WAIT_MS, 'the first onConnect');
    const firstId = await accepted.waitForCount(1, WAIT_MS, 'the first connection');
    client.emit('kick');
    const second = await connects.waitForCount(2, WAIT_MS, 'the onConnect after the kick');
    const secondId = await accepted.waitForCount(2, WAIT_MS, 'the second connection');
    expect(secondId).not.toBe(firstId);
    expect(second).toEqual({ state: 'open', id: secondId });
    expect(client.id).toBe(secondId);
  });

  it('with the identity option off, connects without asking and without an id', async () => {
    const { connects, errors } = connect({ identity: false });
    expect(await connects.waitForCount(1, WAIT_MS, 'onConnect')).toEqual({
      state: 'open',
      id: undefined,
    });
    expect(errors.items).toEqual([]);
  });

  it('sends nothing new to a client that does not ask (the Iris script): its first message is the app’s', async () => {
    const iris = await ProtocolClient.connect(running.wsUrl('/ws'));
    sockets.push(iris);
    const serverId = await accepted.waitForCount(1, WAIT_MS, 'the server to accept');
    const first = await iris.next();
    expect(first).toMatchObject({ event: 'welcome', type: 0, payload: serverId });
    // A client that asks gets the id first, then the application's message.
    const asking = await ProtocolClient.connect(`${running.wsUrl('/ws')}?ws-rooms-identity=1`);
    sockets.push(asking);
    const askingId = await accepted.waitForCount(2, WAIT_MS, 'the second connection');
    expect(await asking.next()).toMatchObject({
      event: 'ws-rooms:identity',
      type: 4,
      payload: JSON.stringify({ id: askingId }),
    });
    expect(await asking.next()).toMatchObject({ event: 'welcome', payload: askingId });
    // Whatever else the Iris client receives later, it is never a reserved event.
    iris.emit('kick', '');
    expect(await iris.waitClose()).toEqual({ code: 4500, reason: 'kicked' });
    expect(iris.received.filter((m) => m.event?.startsWith('ws-rooms:'))).toEqual([]);
  });

  it('is known to WsRoomsTestClient from connect() on (ws-rooms/testing)', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [PlainModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      const client = await WsRoomsTestClient.connect(app);
      const serverId = await accepted.waitForCount(1, WAIT_MS, 'the test client to be accepted');
      expect(client.id).toBe(serverId);
      expect(await client.next('welcome')).toBe(serverId);
      await client.close();
    } finally {
      await app.close();
    }
  });
});
