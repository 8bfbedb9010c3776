/**
 * `WsRoomsTestClient` from `ws-rooms/testing` against real apps built with
 * `Test.createTestingModule`: it finds the endpoint itself (listening the app when it does not yet),
 * its steps are awaitable and bounded, nothing that arrived before a `next()` is lost, and failures
 * come back typed.
 */
import type { INestApplication } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { WsException } from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import {
  ConnectedSocket,
  MessageBody,
  OnEvent,
  type OnWsConnection,
  type PrincipalOf,
  RoomsService,
  type WsConnection,
  WsRoomsGateway,
  WsRoomsModule,
} from 'ws-rooms';
import { WsRoomsClientError } from 'ws-rooms/client';
import { WsRoomsTestClient, WsRoomsTestError, WsRoomsTestErrorCode } from 'ws-rooms/testing';

interface LobbyEvents {
  toServer: { join: string; shout: string; leaveMe: void; count: number };
  toClient: { welcome: string; shout: string; counted: number };
  requestsToServer: { rooms(): string[] };
  requestsToClient: { confirm(question: string): boolean };
}

const authenticate = (request: IncomingMessage): { name: string } | null => {
  const name = new URL(request.url ?? '', 'http://x').searchParams.get('name');
  return name ? { name } : null;
};

type LobbyConnection = WsConnection<
  { confirmed?: boolean },
  PrincipalOf<typeof authenticate>,
  LobbyEvents
>;

@WsRoomsGateway()
class LobbyGateway implements OnWsConnection<LobbyConnection> {
  onWsConnection(c: LobbyConnection): void {
    c.emit('welcome', `hello ${c.principal.name}`);
  }

  /** Synchronous on purpose: the room is joined locally when the message is read. */
  @OnEvent('join')
  join(@ConnectedSocket() c: LobbyConnection, @MessageBody() room: string): void {
    void c.join(room);
  }

  @OnEvent('shout')
  shout(@ConnectedSocket() c: LobbyConnection, @MessageBody() text: string): void {
    c.to('lobby').emit('shout', `${c.principal.name}: ${text}`);
  }

  @OnEvent('rooms')
  rooms(@ConnectedSocket() c: LobbyConnection): string[] {
    return c.rooms().slice(1);
  }

  @OnEvent('count')
  count(@ConnectedSocket() c: LobbyConnection, @MessageBody() n: number): void {
    if (n < 0) throw new WsException('no negative counts');
    c.emit('counted', n);
  }

  @OnEvent('leaveMe')
  leaveMe(@ConnectedSocket() c: LobbyConnection): void {
    c.disconnect(4001, 'asked to leave');
  }
}

@Module({
  imports: [WsRoomsModule.forRoot({ endpoint: '/lobby', authenticate })],
  providers: [LobbyGateway],
})
class LobbyModule {}

@Module({
  imports: [
    WsRoomsModule.forRoot({ endpoint: '/main' }),
    WsRoomsModule.forRoot({ endpoint: '/admin', name: 'admin', prefix: 'go-websocket-message:' }),
  ],
})
class TwoEndpointsModule {}

/** What a test writes: compile the module, create the app, do not even listen. */
async function createApp(module: new () => unknown): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
  return moduleRef.createNestApplication({ logger: false });
}

describe('WsRoomsTestClient', () => {
  let app: INestApplication;
  const clients: WsRoomsTestClient<LobbyEvents>[] = [];

  async function join(name: string): Promise<WsRoomsTestClient<LobbyEvents>> {
    const client = await WsRoomsTestClient.connect<LobbyEvents>(app, { query: { name } });
    clients.push(client);
    return client;
  }

  beforeEach(async () => {
    app = await createApp(LobbyModule);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await app.close();
  });

  it('connects to an app that does not listen yet, and keeps what arrived before next()', async () => {
    const alice = await join('alice');
    expect(app.getHttpServer().listening).toBe(true);
    // `welcome` was sent during the connection, before anyone asked for it.
    expect(await alice.next('welcome')).toBe('hello alice');
    expect(alice.received('welcome')).toEqual(['hello alice']);
  });

  it('emit resolves once the server has read the message', async () => {
    const alice = await join('alice');
    await alice.emit('join', 'lobby');
    // No wait of any kind: the synchronous handler has run.
    expect(await app.get(RoomsService).count('lobby')).toBe(1);
    expect(await alice.request('rooms')).toEqual(['lobby']);
  });

  it('delivers broadcasts to other clients, each value once and in order', async () => {
    const alice = await join('alice');
    const bob = await join('bob');
    await alice.emit('join', 'lobby');
    await bob.emit('join', 'lobby');
    await alice.emit('shout', 'one');
    await alice.emit('shout', 'two');
    expect(await bob.next('shout')).toBe('alice: one');
    expect(await bob.next('shout')).toBe('alice: two');
    expect(await alice.next('shout')).toBe('alice: one');
    expect(bob.received('shout')).toEqual(['alice: one', 'alice: two']);
  });

  it('bounds every wait: next() rejects with a typed timeout', async () => {
    const alice = await join('alice');
    const started = performance.now();
    const error = await alice.next('shout', { timeout: 150 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WsRoomsTestError);
    expect(error).toMatchObject({ code: WsRoomsTestErrorCode.Timeout });
    expect(performance.now() - started).toBeLessThan(2000);
    await expect(alice.next('shout', { timeout: 0 })).rejects.toMatchObject({
      code: WsRoomsTestErrorCode.InvalidArgument,
    });
  });

  it('hands the server errors of this client to nextServerError', async () => {
    const alice = await join('alice');
    await alice.emit('count', -1);
    const error = await alice.nextServerError();
    expect(error).toMatchObject({ code: 'WS_ROOMS_BAD_REQUEST', event: 'count' });
    await alice.emit('count', 2);
    expect(await alice.next('counted')).toBe(2);
  });

  it('reports how the server ended the connection, and fails pending waits at once', async () => {
    const alice = await join('alice');
    const waiting = alice.next('shout', { timeout: 10_000 });
    alice.client.emit('leaveMe');
    expect(await alice.nextDisconnect()).toMatchObject({ code: 4001, reason: 'asked to leave' });
    await expect(waiting).rejects.toMatchObject({ code: WsRoomsTestErrorCode.Closed });
    await expect(alice.next('welcome')).resolves.toBe('hello alice');
    await expect(alice.next('welcome')).rejects.toMatchObject({
      code: WsRoomsTestErrorCode.Closed,
    });
  });

  it('rejects connect with the typed handshake refusal, status included', async () => {
    const refused = await WsRoomsTestClient.connect(app).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WsRoomsClientError);
    expect(refused).toMatchObject({ code: 'WS_ROOMS_CLIENT_HANDSHAKE_REFUSED', status: 401 });
  });

  it('close() resolves once the closing handshake is done; it is idempotent', async () => {
    const alice = await join('alice');
    await alice.close();
    expect(alice.client.state).toBe('closed');
    await alice.close();
  });
});

describe('WsRoomsTestClient endpoints', () => {
  let app: INestApplication;
  afterEach(async () => app.close());

  it('finds a named endpoint with its own path and prefix', async () => {
    app = await createApp(TwoEndpointsModule);
    await app.listen(0, '127.0.0.1');
    const admin = await WsRoomsTestClient.connect(app, { endpoint: 'admin' });
    const main = await WsRoomsTestClient.connect(app);
    expect(admin.client.state).toBe('open');
    expect(main.client.state).toBe('open');
    await Promise.all([admin.close(), main.close()]);
  });

  it('says which endpoint is missing', async () => {
    app = await createApp(TwoEndpointsModule);
    await expect(WsRoomsTestClient.connect(app, { endpoint: 'nope' })).rejects.toMatchObject({
      name: 'WsRoomsTestError',
      code: WsRoomsTestErrorCode.NoEndpoint,
      message: expect.stringContaining('"nope"'),
    });
  });
});
