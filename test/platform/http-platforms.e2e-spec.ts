import { Module } from '@nestjs/common';
import {
  ConnectedSocket,
  type DashboardSnapshot,
  MessageBody,
  OnEvent,
  type WsConnection,
  WsRoomsGateway,
  WsRoomsModule,
} from 'ws-rooms';
import { ProtocolClient } from '../support/protocol-client';
import { httpExchange, upgradeRequest } from '../support/raw-socket';
import { PLATFORMS, type RunningApp, startAppOn } from '../support/test-app';

// What ws-rooms serves over HTTP (the client script, the metrics, the dashboard) and the upgrade
// path, on every HTTP platform, with several endpoints in one app.

@WsRoomsGateway()
class MainGateway {
  @OnEvent('join')
  async join(@ConnectedSocket() c: WsConnection, @MessageBody() room: string): Promise<string> {
    await c.join(room);
    return room;
  }

  @OnEvent('who')
  who(): string {
    return 'main';
  }
}

@WsRoomsGateway({ endpoint: 'second' })
class SecondGateway {
  @OnEvent('who')
  who(): string {
    return 'second';
  }
}

@WsRoomsGateway({ endpoint: 'third' })
class ThirdGateway {
  @OnEvent('who')
  who(): string {
    return 'third';
  }
}

/** Three endpoints, two of them sharing the default script path, one with its own. */
@Module({
  imports: [
    WsRoomsModule.forRoot({ endpoint: '/ws', metrics: {}, dashboard: {} }),
    WsRoomsModule.forRoot({ endpoint: '/second', name: 'second', metrics: {} }),
    WsRoomsModule.forRoot({
      endpoint: '/third',
      name: 'third',
      clientScriptPath: '/static/third.js',
    }),
  ],
  providers: [MainGateway, SecondGateway, ThirdGateway],
})
class ThreeEndpointsModule {}

describe.each(PLATFORMS)('HTTP routes and upgrades on %s', (platform) => {
  let running: RunningApp;
  const clients: ProtocolClient[] = [];

  beforeAll(async () => {
    running = await startAppOn(platform, { imports: [ThreeEndpointsModule] });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  afterAll(async () => {
    await running?.close();
  });

  async function connect(path: string): Promise<ProtocolClient> {
    const client = await ProtocolClient.connect(running.wsUrl(path));
    clients.push(client);
    return client;
  }

  it('starts three endpoints, two of them on the same script path, and routes each upgrade by path', async () => {
    for (const [path, name] of [
      ['/ws', 'main'],
      ['/second', 'second'],
      ['/third?token=x', 'third'],
    ]) {
      const client = await connect(path);
      client.emit('who', '');
      expect((await client.nextEvent('who')).payload).toBe(name);
    }
    const unknown = await upgradeRequest(running.port, '/nowhere');
    expect([unknown.status, unknown.body]).toEqual([404, 'Not Found']);
  });

  it('serves the client script at each path, with validators and a 304 for a fresh copy', async () => {
    const first = await httpExchange(running.port, 'GET', '/iris-ws.js');
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(first.body).toMatch(/^\/\*! ws-rooms /);
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^"[\w-]+"$/);
    const own = await httpExchange(running.port, 'GET', '/static/third.js');
    expect([own.status, own.body]).toEqual([200, first.body]);
    const again = await httpExchange(running.port, 'GET', '/iris-ws.js', { 'If-None-Match': etag });
    expect([again.status, again.headers.etag, again.body]).toEqual([304, etag, '']);
    const head = await httpExchange(running.port, 'HEAD', '/iris-ws.js');
    expect([head.status, head.headers.etag, head.body]).toEqual([200, etag, '']);
  });

  it('exports the metrics of both endpoints at one path', async () => {
    const client = await connect('/second');
    client.emit('who', '');
    await client.nextEvent('who');
    const answer = await httpExchange(running.port, 'GET', '/metrics');
    expect(answer.status).toBe(200);
    // Prometheus' text format 0.0.4 (Express may reorder the parameters).
    expect(answer.headers['content-type']?.split(/;\s*/).sort()).toEqual([
      'charset=utf-8',
      'text/plain',
      'version=0.0.4',
    ]);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.body).toMatch(/^ws_rooms_connections\{endpoint="default"\} 0$/m);
    expect(answer.body).toMatch(/^ws_rooms_connections\{endpoint="second"\} 1$/m);
  });

  it('serves the dashboard page and its live feed', async () => {
    const member = await connect('/ws');
    member.emit('join', 'platform-room');
    await member.nextEvent('join');
    const page = await httpExchange(running.port, 'GET', '/ws-rooms/dashboard');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.body).toContain('platform-room');
    const feed = await connect('/ws-rooms/dashboard/ws');
    const snapshot = JSON.parse((await feed.nextEvent('stats')).payload!) as DashboardSnapshot;
    expect(snapshot.rooms).toEqual([{ name: 'platform-room', members: 1 }]);
  });
});
