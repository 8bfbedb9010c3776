import { Module } from '@nestjs/common';
import { MessageBody, OnEvent, WsRoomsErrorCode, WsRoomsGateway, WsRoomsModule } from 'ws-rooms';
import { httpExchange } from '../support/raw-socket';
import { PLATFORMS, type RunningApp, startAppOn } from '../support/test-app';
import { fixtureModule } from './fixture-app';

// How the AsyncAPI document is served: at its path like the metrics, GET and HEAD, JSON, on
// Express and Fastify; which host it writes; what it refuses at start-up.

interface Served {
  readonly servers: Record<string, { host: string; variables?: Record<string, unknown> }>;
  readonly channels: Record<string, { address: string }>;
}

describe.each(PLATFORMS)('the AsyncAPI document over HTTP (%s)', (platform) => {
  let running: RunningApp | undefined;

  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it('is served at /asyncapi.json for GET and HEAD, as JSON, not cached without revalidation', async () => {
    running = await startAppOn(platform, { imports: [fixtureModule()] });
    const get = await httpExchange(running.port, 'GET', '/asyncapi.json');
    expect(get.status).toBe(200);
    expect(get.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(get.headers['cache-control']).toBe('no-cache');
    expect(get.headers['x-content-type-options']).toBe('nosniff');
    const document = JSON.parse(get.body) as Served & { asyncapi: string };
    expect(document.asyncapi).toBe('3.0.0');
    expect(Object.keys(document.channels)).toEqual(['default', 'admin']);

    const head = await httpExchange(running.port, 'HEAD', '/asyncapi.json');
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(head.body).toBe('');
  });

  it('writes the same text for the same host, the configured host as given, a loopback Host as sent', async () => {
    running = await startAppOn(platform, { imports: [fixtureModule()] });
    const first = await httpExchange(running.port, 'GET', '/asyncapi.json');
    const second = await httpExchange(running.port, 'GET', '/asyncapi.json');
    expect(second.body).toBe(first.body);
    expect(first.headers.vary).toMatch(/\bHost\b/);
    const document = JSON.parse(first.body) as Served;
    // httpExchange sends Host: 127.0.0.1:<port>, a loopback name.
    expect(document.servers.default.host).toBe(`127.0.0.1:${running.port}`);
    expect(document.servers.default.variables).toBeUndefined();
    expect(document.servers.admin).toEqual(
      expect.objectContaining({ host: 'admin.example.com:8443', protocol: 'wss' }),
    );
  });

  it('never writes a Host the endpoint does not trust: the server variable {host} instead', async () => {
    running = await startAppOn(platform, { imports: [fixtureModule()] });
    const answer = await httpExchange(running.port, 'GET', '/asyncapi.json', {
      Host: 'attacker.example',
    });
    expect(answer.status).toBe(200);
    expect(answer.body).not.toContain('attacker.example');
    const document = JSON.parse(answer.body) as Served;
    expect(document.servers.default.host).toBe('{host}');
    expect(document.servers.default.variables).toEqual({
      host: expect.objectContaining({ description: expect.any(String) }),
    });
    expect(document.servers.admin.host).toBe('admin.example.com:8443');
  });

  it("writes a Host of the endpoint's allowedHosts, and offers the list as examples otherwise", async () => {
    running = await startAppOn(platform, {
      imports: [fixtureModule({ allowedHosts: ['chat.example.com', '127.0.0.1'] })],
    });
    const allowed = await httpExchange(running.port, 'GET', '/asyncapi.json', {
      Host: 'CHAT.example.com:8080',
    });
    expect((JSON.parse(allowed.body) as Served).servers.default.host).toBe('chat.example.com:8080');
    const other = await httpExchange(running.port, 'GET', '/asyncapi.json', {
      Host: 'www.chat.example.com',
    });
    expect((JSON.parse(other.body) as Served).servers.default).toEqual(
      expect.objectContaining({
        host: '{host}',
        variables: {
          host: expect.objectContaining({ examples: ['chat.example.com', '127.0.0.1'] }),
        },
      }),
    );
  });

  it('serves nothing without the option, and the document at a path of its own', async () => {
    @WsRoomsGateway()
    class EchoGateway {
      @OnEvent('echo')
      echo(@MessageBody() text: string): string {
        return text;
      }
    }
    @Module({
      imports: [
        WsRoomsModule.forRoot({ endpoint: '/ws' }),
        WsRoomsModule.forRoot({
          endpoint: '/other',
          name: 'other',
          asyncapi: { path: '/docs/ws.json' },
        }),
      ],
      providers: [EchoGateway],
    })
    class AppModule {}
    running = await startAppOn(platform, { imports: [AppModule] });
    expect((await httpExchange(running.port, 'GET', '/asyncapi.json')).status).toBe(404);
    const answer = await httpExchange(running.port, 'GET', '/docs/ws.json');
    expect(answer.status).toBe(200);
    const document = JSON.parse(answer.body) as Served & { operations: Record<string, unknown> };
    // Only the endpoint that asked for it; its gateways are none (EchoGateway serves "default").
    expect(Object.keys(document.channels)).toEqual(['other']);
    expect(document.channels.other.address).toBe('/other');
    expect(Object.keys(document.operations).some((id) => id.includes('echo'))).toBe(false);
  });
});

describe('the AsyncAPI option at start-up', () => {
  it('fails when endpoints sharing the path disagree on the title', async () => {
    @Module({
      imports: [
        WsRoomsModule.forRoot({ endpoint: '/a', asyncapi: { title: 'A' } }),
        WsRoomsModule.forRoot({ endpoint: '/b', name: 'b', asyncapi: { title: 'B' } }),
      ],
    })
    class AppModule {}
    await expect(startAppOn('express', { imports: [AppModule] })).rejects.toMatchObject({
      code: WsRoomsErrorCode.InvalidOption,
      message: expect.stringContaining('"asyncapi.title"'),
    });
  });

  it('refuses a path the metrics already take', () => {
    expect(() =>
      WsRoomsModule.forRoot({ endpoint: '/ws', metrics: {}, asyncapi: { path: '/metrics' } }),
    ).toThrow(expect.objectContaining({ code: WsRoomsErrorCode.InvalidOption }));
  });
});
