import { Injectable, Module } from '@nestjs/common';
import WebSocket from 'ws';
import {
  ConnectionsService,
  type DisconnectInfo,
  MessageBody,
  OnEvent,
  type OnWsConnection,
  type OnWsDisconnect,
  RoomsService,
  type WsConnection,
  WsRoomsGateway,
  WsRoomsModule,
} from 'ws-rooms';
import { ProtocolClient, withTimeout } from './support/protocol-client';
import { Recorder } from './support/recorder';
import { tcpConnectOutcome } from './support/raw-socket';
import { type RunningApp, startApp } from './support/test-app';
import { RoomMembershipHandlers } from './support/room-membership.handlers';

const PREFIX = 'iris-websocket-message:';

interface DisconnectRecord {
  readonly id: string;
  readonly info: DisconnectInfo;
}

/** Greets every connection with its id and records every disconnect. */
@WsRoomsGateway()
class RecordingGateway extends RoomMembershipHandlers implements OnWsConnection, OnWsDisconnect {
  readonly disconnects = new Recorder<DisconnectRecord>();

  onWsConnection(connection: WsConnection): void {
    connection.emit('welcome', connection.id);
  }

  onWsDisconnect(connection: WsConnection, info: DisconnectInfo): void {
    this.disconnects.push({ id: connection.id, info });
  }

  @OnEvent('echo')
  echo(@MessageBody() text: string): string {
    return text;
  }
}

@Module({ imports: [WsRoomsModule.forRoot('/ws')], providers: [RecordingGateway] })
class LifecycleModule {}

@Module({
  imports: [WsRoomsModule.forRoot({ endpoint: '/ws', pongTimeout: 300, pingPeriod: 100 })],
  providers: [RecordingGateway],
})
class FastHeartbeatModule {}

/** Holds connections that ask for it (`x-hold: 1`) in an asynchronous hook until the test releases them. */
@WsRoomsGateway()
class HoldingGateway implements OnWsConnection {
  readonly log = new Recorder<string>();
  readonly held = new Recorder<string>();
  private release: (() => void) | undefined;

  async onWsConnection(connection: WsConnection): Promise<void> {
    if (connection.headers['x-hold'] === '1') {
      this.log.push('hook:start');
      await new Promise<void>((resolve) => {
        this.release = resolve;
        this.held.push(connection.id);
      });
      this.log.push('hook:end');
    }
    connection.emit('welcome', connection.id);
  }

  releaseHook(): void {
    this.release?.();
  }

  @OnEvent('note')
  note(@MessageBody() text: string): string {
    this.log.push(`message:${text}`);
    return text;
  }

  @OnEvent('barrier')
  barrier(): string {
    this.log.push('barrier');
    return 'done';
  }
}

@Module({ imports: [WsRoomsModule.forRoot('/ws')], providers: [HoldingGateway] })
class HoldingModule {}

/** A connection hook that fails, synchronously or not, as the client asks (`x-fail`). */
@WsRoomsGateway()
class FailingHookGateway implements OnWsConnection, OnWsDisconnect {
  readonly disconnects = new Recorder<DisconnectRecord>();
  readonly handled: string[] = [];

  onWsConnection(connection: WsConnection): void | Promise<void> {
    const mode = connection.headers['x-fail'];
    if (mode === 'sync') throw new Error('refusing this connection');
    if (mode === 'async') return Promise.reject(new Error('refusing this connection later'));
    if (mode === 'deny') {
      // The usual authentication hook: decide asynchronously, then disconnect.
      return Promise.resolve().then(() => connection.disconnect(4001, 'unauthorized'));
    }
    connection.emit('welcome', connection.id);
  }

  onWsDisconnect(connection: WsConnection, info: DisconnectInfo): void {
    this.disconnects.push({ id: connection.id, info });
  }

  @OnEvent('note')
  note(@MessageBody() text: string): void {
    this.handled.push(text);
  }
}

@Module({ imports: [WsRoomsModule.forRoot('/ws')], providers: [FailingHookGateway] })
class FailingHookModule {}

/** Shared by the two gateways of the order fixture. */
@Injectable()
class OrderLog {
  readonly entries = new Recorder<string>();
}

@WsRoomsGateway()
class FirstGateway implements OnWsConnection, OnWsDisconnect {
  constructor(private readonly order: OrderLog) {}

  onWsConnection(connection: WsConnection): void {
    connection.onDisconnect((info) => this.order.entries.push(`listener of first:${info.code}`));
    connection.emit('welcome', connection.id);
  }

  onWsDisconnect(_connection: WsConnection, info: DisconnectInfo): void {
    this.order.entries.push(`first gateway:${info.code}`);
  }
}

@WsRoomsGateway()
class SecondGateway implements OnWsConnection, OnWsDisconnect {
  constructor(private readonly order: OrderLog) {}

  onWsConnection(connection: WsConnection): void {
    connection.onDisconnect((info) => this.order.entries.push(`listener of second:${info.code}`));
  }

  onWsDisconnect(_connection: WsConnection, info: DisconnectInfo): void {
    this.order.entries.push(`second gateway:${info.code}`);
  }
}

@Module({
  imports: [WsRoomsModule.forRoot('/ws')],
  providers: [OrderLog, FirstGateway, SecondGateway],
})
class OrderModule {}

describe('lifecycle: connections come and go, the app shuts down gracefully', () => {
  const apps: RunningApp[] = [];
  const clients: ProtocolClient[] = [];

  async function start(module: new () => unknown): Promise<RunningApp> {
    const running = await startApp({ imports: [module] });
    apps.push(running);
    return running;
  }

  async function open(
    running: RunningApp,
    options: WebSocket.ClientOptions = {},
  ): Promise<ProtocolClient> {
    const client = await ProtocolClient.connect(running.wsUrl(), options);
    clients.push(client);
    return client;
  }

  async function connect(
    running: RunningApp,
    options: WebSocket.ClientOptions = {},
  ): Promise<{ client: ProtocolClient; id: string }> {
    const client = await open(running, options);
    return { client, id: (await client.nextEvent('welcome')).payload! };
  }

  afterEach(async () => {
    await Promise.all(
      clients.splice(0).map(async (client) => {
        if (client.ws.readyState === WebSocket.CLOSED) return;
        client.ws.close();
        await client.waitClose();
      }),
    );
    await Promise.all(apps.splice(0).map((running) => running.close()));
  });

  it('app.close(): every client gets 1001, the disconnect hooks run for each, and nothing listens afterwards', async () => {
    const running = await start(LifecycleModule);
    const gateway = running.app.get(RecordingGateway);
    const connected = await Promise.all([connect(running), connect(running), connect(running)]);
    const startedAt = Date.now();
    await withTimeout(running.close(), 5000, 'app.close()');
    // Graceful: every close handshake completed, no waiting for closeTimeout (5 s).
    expect(Date.now() - startedAt).toBeLessThan(2500);
    for (const { client } of connected) {
      expect(await client.waitClose(1000)).toEqual({ code: 1001, reason: 'server shutting down' });
    }
    const records = gateway.disconnects.items.map((r) => [r.id, r.info.code, r.info.initiator]);
    expect(records.sort()).toEqual(connected.map(({ id }) => [id, 1001, 'server']).sort());
    expect(await tcpConnectOutcome(running.port)).toBe('ECONNREFUSED');
  });

  it('an asynchronous connection hook holds the messages of its connection until it is done', async () => {
    const running = await start(HoldingModule);
    const gateway = running.app.get(HoldingGateway);
    const held = await open(running, { headers: { 'X-Hold': '1' } });
    await gateway.held.waitForCount(1, 3000, 'the hook to start');
    await new Promise<void>((resolve, reject) =>
      held.ws.send(`${PREFIX}note;0;sent while the hook runs`, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
    // A round trip of another connection, sent after that message: the server has read by now
    // whatever it was going to read of the held connection.
    const { client: other } = await connect(running);
    other.emit('barrier', '');
    await other.nextEvent('barrier');
    expect(gateway.log.items).toEqual(['hook:start', 'barrier']);

    gateway.releaseHook();
    expect((await held.nextEvent('note')).payload).toBe('sent while the hook runs');
    expect(gateway.log.items).toEqual([
      'hook:start',
      'barrier',
      'hook:end',
      'message:sent while the hook runs',
    ]);
    // The hook's own greeting went out before the reply to the held message.
    expect(held.received.map((m) => m.event)).toEqual(['welcome', 'note']);
  });

  it.each(['sync', 'async'])(
    'a connection hook that fails (%s) closes the connection with 1011 and handles none of its messages',
    async (mode) => {
      const running = await start(FailingHookModule);
      const gateway = running.app.get(FailingHookGateway);
      const client = await open(running, { headers: { 'X-Fail': mode } });
      client.emit('note', 'never handled');
      // Well within closeTimeout (5 s): the held connection still reads the client's close frame.
      expect(await client.waitClose(2000)).toEqual({
        code: 1011,
        reason: 'connection hook failed',
      });
      const record = await gateway.disconnects.waitForCount(1);
      expect(record.info).toEqual({
        code: 1011,
        reason: 'connection hook failed',
        initiator: 'server',
      });
      expect(gateway.handled).toEqual([]);
      expect(running.app.get(ConnectionsService).count).toBe(0);
      // Other connections are not affected.
      const { client: fine } = await connect(running);
      expect(fine.ws.readyState).toBe(WebSocket.OPEN);
    },
  );

  it('an asynchronous hook that disconnects its connection closes it promptly with its code', async () => {
    const running = await start(FailingHookModule);
    const gateway = running.app.get(FailingHookGateway);
    const client = await open(running, { headers: { 'X-Fail': 'deny' } });
    client.emit('note', 'never handled');
    expect(await client.waitClose(2000)).toEqual({ code: 4001, reason: 'unauthorized' });
    const record = await gateway.disconnects.waitForCount(1);
    expect(record.info).toEqual({ code: 4001, reason: 'unauthorized', initiator: 'server' });
    expect(gateway.handled).toEqual([]);
  });

  it('disconnect hooks run once: gateways in registration order, then the per-connection listeners', async () => {
    const running = await start(OrderModule);
    const order = running.app.get(OrderLog);
    const { client } = await connect(running);
    await client.close();
    await order.entries.waitForCount(4, 3000, 'four disconnect handlers');
    expect(order.entries.items).toEqual([
      'first gateway:1005',
      'second gateway:1005',
      'listener of first:1005',
      'listener of second:1005',
    ]);
  });

  it('ConnectionsService.disconnect(id, 4000, reason) closes that client with 4000', async () => {
    const running = await start(LifecycleModule);
    const gateway = running.app.get(RecordingGateway);
    const connections = running.app.get(ConnectionsService);
    const target = await connect(running);
    const bystander = await connect(running);
    await expect(connections.disconnect(target.id, 1001)).rejects.toThrow(
      'disconnect(): close code must be 1000 or within 3000-4999, got 1001',
    );
    expect(await connections.disconnect(target.id, 4000, 'x')).toBe(true);
    expect(await target.client.waitClose()).toEqual({ code: 4000, reason: 'x' });
    const record = await gateway.disconnects.waitFor((r) => r.id === target.id);
    expect(record.info).toEqual({ code: 4000, reason: 'x', initiator: 'server' });
    expect(await connections.disconnect(target.id, 4000, 'again')).toBe(false);
    expect(connections.has(bystander.id)).toBe(true);
    expect(gateway.disconnects.items).toHaveLength(1);
  });

  it('a client that vanishes without a close frame is cleaned up: hooks run, rooms emptied, count back to 0', async () => {
    const running = await start(LifecycleModule);
    const gateway = running.app.get(RecordingGateway);
    const { client, id } = await connect(running);
    client.emit('join', 'lounge');
    await client.nextEvent('join');
    const rooms = running.app.get(RoomsService);
    expect(await rooms.members('lounge')).toEqual([id]);
    (client.ws as any)._socket.destroy();
    const record = await gateway.disconnects.waitFor(
      (r) => r.id === id,
      3000,
      'the disconnect hook',
    );
    expect(record.info).toMatchObject({ code: 1006, initiator: 'client' });
    expect(running.app.get(ConnectionsService).count).toBe(0);
    expect(await rooms.members('lounge')).toEqual([]);
    expect(await rooms.rooms()).not.toContain('lounge');
  });

  it('the heartbeat keeps idle connections that answer pings alive, and only those', async () => {
    const running = await start(FastHeartbeatModule);
    const gateway = running.app.get(RecordingGateway);
    const idle = await connect(running);
    const silent = await connect(running, { autoPong: false });
    const pings = new Recorder<number>();
    idle.client.ws.on('ping', () => pings.push(Date.now()));
    // The one that does not answer is terminated after pongTimeout (300 ms)...
    expect((await silent.client.waitClose(3000)).code).toBe(1006);
    // ...while the idle one, sending nothing at all, lives on well past it.
    await pings.waitForCount(6, 5000, 'six pings');
    expect(pings.items[5] - pings.items[0]).toBeGreaterThan(300);
    expect(idle.client.ws.readyState).toBe(WebSocket.OPEN);
    expect(gateway.disconnects.items.map((r) => r.id)).toEqual([silent.id]);
    expect(running.app.get(ConnectionsService).count).toBe(1);
  });
});
