import {
  Body,
  Controller,
  Injectable,
  Module,
  type ModuleMetadata,
  type OnModuleInit,
  Post,
  Scope,
} from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import {
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import WebSocket from 'ws';
import {
  ConnectedSocket,
  ConnectionsService,
  InjectConnections,
  InjectRooms,
  MemoryRoomStore,
  MessageBody,
  MessageIsBinary,
  OnEvent,
  OnMessage,
  OnWsEvent,
  type OnWsConnection,
  RoomsService,
  type WsConnection,
  WsRoomsAdapter,
  WsRoomsEndpoint,
  WsRoomsErrorCode,
  WsRoomsGateway,
  WsRoomsModule,
  type WsRoomsOptions,
  type WsRoomsOptionsFactory,
} from 'ws-rooms';
import { WsRoomsClient } from 'ws-rooms/client';
import { WsRoomsServer } from 'ws-rooms/internal';
import { opened } from './support/modern-client-waits';
import { ProtocolClient } from './support/protocol-client';
import { PLATFORMS, type RunningApp, startAppOn } from './support/test-app';

@WsRoomsGateway()
class PublicGateway implements OnWsConnection {
  onWsConnection(c: WsConnection): void {
    void c.join('news');
  }

  @OnEvent('who')
  who(): string {
    return 'public';
  }
}

@WsRoomsGateway({ endpoint: 'admin' })
class AdminGateway implements OnWsConnection {
  onWsConnection(c: WsConnection): void {
    void c.join('news');
  }

  @OnWsEvent('who')
  who(): string {
    return 'admin';
  }
}

@Controller()
class PushController {
  constructor(
    private readonly rooms: RoomsService,
    @InjectRooms('admin') private readonly adminRooms: RoomsService,
    @InjectConnections('admin') private readonly adminConnections: ConnectionsService,
  ) {}

  @Post('push')
  async push(@Body() body: { room: string; text: string }): Promise<{ members: number }> {
    this.rooms.to(body.room).emit('pushed', body.text);
    return { members: await this.rooms.count(body.room) };
  }

  @Post('push-admin')
  pushAdmin(@Body() body: { text: string }): { admins: number } {
    this.adminRooms.to('news').emit('pushed', body.text);
    return { admins: this.adminConnections.count };
  }
}

@Module({
  imports: [
    WsRoomsModule.forRoot('/ws'),
    WsRoomsModule.forRoot({ endpoint: '/admin', name: 'admin', prefix: 'go-websocket-message:' }),
  ],
  controllers: [PushController],
  providers: [PublicGateway, AdminGateway],
})
class TwoEndpointsModule {}

async function post(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(3000),
  });
  return { status: response.status, json: await response.json() };
}

describe.each(PLATFORMS)('WsRoomsModule on %s', (platform) => {
  describe('two endpoints in one app, and an HTTP controller pushing to rooms', () => {
    let running: RunningApp;

    beforeAll(async () => {
      running = await startAppOn(platform, { imports: [TwoEndpointsModule] });
    });

    afterAll(async () => {
      await running.close();
    });

    it('each endpoint has its own gateways, options and rooms', async () => {
      const user = await ProtocolClient.connect(running.wsUrl('/ws'));
      const admin = await ProtocolClient.connect(running.wsUrl('/admin'), {
        prefix: 'go-websocket-message:',
      });
      user.emit('who', '');
      admin.emit('who', '');
      expect((await user.nextEvent('who')).payload).toBe('public');
      expect((await admin.nextEvent('who')).payload).toBe('admin');

      expect(await post(`${running.httpUrl}/push`, { room: 'news', text: 'for users' })).toEqual({
        status: 201,
        json: { members: 1 },
      });
      expect((await user.nextEvent('pushed')).payload).toBe('for users');
      expect(await post(`${running.httpUrl}/push-admin`, { text: 'for admins' })).toEqual({
        status: 201,
        json: { admins: 1 },
      });
      expect((await admin.nextEvent('pushed')).payload).toBe('for admins');
      expect(user.eventsNamed('pushed')).toHaveLength(1);
      expect(admin.eventsNamed('pushed')).toHaveLength(1);
      await Promise.all([user.close(), admin.close()]);
    });
  });

  describe('forRootAsync', () => {
    @WsRoomsGateway()
    class EchoGateway {
      @OnEvent('echo')
      echo(@MessageBody() text: string): string {
        return text;
      }
    }

    it('takes options from ConfigService through useFactory', async () => {
      @Module({
        imports: [
          WsRoomsModule.forRootAsync({
            imports: [
              ConfigModule.forRoot({
                ignoreEnvFile: true,
                load: [() => ({ WS_PATH: '/from-config' })],
              }),
            ],
            inject: [ConfigService],
            useFactory: (config: ConfigService) => ({
              endpoint: config.getOrThrow<string>('WS_PATH'),
            }),
          }),
        ],
        providers: [EchoGateway],
      })
      class AsyncModule {}
      const running = await startAppOn(platform, { imports: [AsyncModule] });
      const client = await ProtocolClient.connect(running.wsUrl('/from-config'));
      client.emit('echo', 'configured');
      expect((await client.nextEvent('echo')).payload).toBe('configured');
      await client.close();
      await running.close();
    });

    it('takes options from a class through useClass', async () => {
      @Injectable()
      class OptionsFactory implements WsRoomsOptionsFactory {
        createWsRoomsOptions(): WsRoomsOptions {
          return { endpoint: '/from-class', maxMessageSize: 16 };
        }
      }
      @Module({
        imports: [WsRoomsModule.forRootAsync({ useClass: OptionsFactory })],
        providers: [EchoGateway],
      })
      class AsyncClassModule {}
      const running = await startAppOn(platform, { imports: [AsyncClassModule] });
      const client = await ProtocolClient.connect(running.wsUrl('/from-class'));
      client.sendRaw('x'.repeat(17));
      expect((await client.waitClose()).code).toBe(1009);
      await running.close();
    });

    it('validates options returned by the factory at start-up', async () => {
      @Module({
        imports: [WsRoomsModule.forRootAsync({ useFactory: () => ({ endpoint: 'no-slash' }) })],
      })
      class BadAsyncModule {}
      await expect(startAppOn(platform, { imports: [BadAsyncModule] })).rejects.toThrow(
        'ws-rooms: invalid option: "endpoint" must start with "/", got "no-slash"',
      );
    });

    it('needs exactly one options source', () => {
      expect(() => WsRoomsModule.forRootAsync({})).toThrow(
        'ws-rooms: forRootAsync() needs exactly one of useFactory, useClass or useExisting',
      );
    });
  });

  it('refuses two endpoints with the same name', async () => {
    @Module({ imports: [WsRoomsModule.forRoot('/a'), WsRoomsModule.forRoot('/b')] })
    class DuplicateModule {}
    await expect(startAppOn(platform, { imports: [DuplicateModule] })).rejects.toThrow(
      'ws-rooms: two endpoints are named "default"; give each forRoot() a distinct "name"',
    );
  });

  it('refuses a gateway that is not a singleton', async () => {
    @WsRoomsGateway()
    @Injectable({ scope: Scope.REQUEST })
    class ScopedGateway {
      @OnEvent('x')
      x(): void {}
    }
    @Module({ imports: [WsRoomsModule.forRoot('/ws')], providers: [ScopedGateway] })
    class ScopedModule {}
    await expect(startAppOn(platform, { imports: [ScopedModule] })).rejects.toThrow(
      /gateway ScopedGateway must be a singleton/,
    );
  });

  it('refuses reserved and malformed event names when the class is defined', () => {
    expect(() => OnEvent('ws-rooms:error')).toThrow(/reserved by ws-rooms/);
    expect(() => OnEvent('a;b')).toThrow(/non-empty string without ";"/);
    expect(() => OnEvent('')).toThrow(/non-empty string without ";"/);
  });

  describe('WsRoomsAdapter with Nest’s own @WebSocketGateway / @SubscribeMessage', () => {
    class RecordingStore extends MemoryRoomStore {
      readonly calls: string[] = [];

      override connected(connectionId: string): void {
        this.calls.push(`connected ${connectionId}`);
      }

      override joined(connectionId: string, room: string): void {
        this.calls.push(`joined ${connectionId} ${room}`);
      }
    }

    const store = new RecordingStore();

    @WebSocketGateway({ path: '/nest', store })
    class NestStyleGateway {
      @WebSocketServer() server!: WsRoomsServer;

      handleConnection(client: WsConnection): void {
        void client.join('nest-room');
      }

      @SubscribeMessage('hello')
      hello(@ConnectedSocket() client: WsConnection, @MessageBody() name: string): string {
        client.to('nest-room').emit('greeted', name);
        return `hello ${name}`;
      }

      @SubscribeMessage('later')
      async later(@MessageBody() value: { n: number }): Promise<{ event: string; data: number }> {
        await Promise.resolve();
        return { event: 'doubled', data: value.n * 2 };
      }
    }

    /** A second gateway on the same path, handling one of the same messages. */
    @WebSocketGateway({ path: '/nest' })
    class NestStyleAuditGateway {
      readonly heard: string[] = [];

      @SubscribeMessage('hello')
      hello(@MessageBody() name: string): string {
        this.heard.push(name);
        return `audited ${name}`;
      }
    }

    @Module({ providers: [NestStyleGateway, NestStyleAuditGateway] })
    class NestStyleModule {}

    let running: RunningApp;
    const modernClients: WsRoomsClient[] = [];

    beforeAll(async () => {
      running = await startAppOn(
        platform,
        { imports: [NestStyleModule] },
        { configure: (app) => void app.useWebSocketAdapter(new WsRoomsAdapter(app)) },
      );
    });

    afterEach(() => {
      for (const client of modernClients.splice(0)) client.close();
    });

    afterAll(async () => {
      await running.close();
    });

    async function modern(): Promise<WsRoomsClient> {
      const client = new WsRoomsClient(running.wsUrl('/nest'), { WebSocket, reconnect: false });
      modernClients.push(client);
      await opened(client);
      return client;
    }

    it('serves a Nest gateway over the Iris protocol with rooms; each handler answers the event', async () => {
      const client = await ProtocolClient.connect(running.wsUrl('/nest'));
      client.emit('hello', 'nest');
      expect((await client.nextEvent('greeted')).payload).toBe('nest');
      // Both gateways' handlers run, in registration order, and each answers.
      expect((await client.nextEvent('hello')).payload).toBe('hello nest');
      expect((await client.nextEvent('hello')).payload).toBe('audited nest');
      client.send('later', 4, '{"n":21}');
      expect((await client.nextEvent('doubled')).payload).toBe('42');
      expect(running.app.get(NestStyleGateway).server).toBeInstanceOf(WsRoomsServer);
      await client.close();
    });

    it("answers client requests with the first handler's value (not WS_ROOMS_NO_HANDLER)", async () => {
      const client = await modern();
      await expect(client.request('hello', 'request')).resolves.toBe('hello request');
      // The other gateway's handler ran too, without answering twice.
      expect(running.app.get(NestStyleAuditGateway).heard).toContain('request');
      await expect(client.request('later', { n: 5 })).resolves.toEqual({
        event: 'doubled',
        data: 10,
      });
      await expect(client.request('nobody', 1)).rejects.toMatchObject({
        code: 'WS_ROOMS_NO_HANDLER',
      });
    });

    it('uses the store given in the gateway options', async () => {
      const client = await ProtocolClient.connect(running.wsUrl('/nest'));
      client.emit('hello', 'store');
      await client.nextEvent('greeted');
      const [connection] = [...running.app.get(NestStyleGateway).server.localConnections()];
      const id = connection.id;
      expect(store.calls).toEqual(
        expect.arrayContaining([`connected ${id}`, `joined ${id} nest-room`]),
      );
      await client.close();
    });
  });

  describe('nothing is ignored: Nest’s own decorators on a @WsRoomsGateway, and wrong set-ups', () => {
    @WsRoomsGateway()
    class NestFlavouredGateway implements OnModuleInit, OnGatewayInit {
      @WebSocketServer() server!: WsRoomsEndpoint;
      serverAtModuleInit: unknown = 'not called';
      readonly initialised: unknown[] = [];

      onModuleInit(): void {
        this.serverAtModuleInit = this.server;
      }

      afterInit(endpoint: WsRoomsEndpoint): void {
        this.initialised.push(endpoint);
      }

      @SubscribeMessage('shout')
      shout(@ConnectedSocket() c: WsConnection, @MessageBody() text: string): string {
        return `${c.id}:${text.toUpperCase()}`;
      }

      @SubscribeMessage('add')
      add(@MessageBody() body: { a: number; b: number }): number {
        return body.a + body.b;
      }

      @SubscribeMessage('enlist')
      async enlist(
        @ConnectedSocket() c: WsConnection,
        @MessageBody() team: string,
      ): Promise<string> {
        await this.server.join(c.id, team);
        this.server.to(team).emit('welcome-to', team);
        return team;
      }
    }

    it('@SubscribeMessage handles events and requests; @WebSocketServer() is the endpoint, before onModuleInit; afterInit gets it', async () => {
      const running = await startAppOn(platform, {
        imports: [WsRoomsModule.forRoot('/ws')],
        providers: [NestFlavouredGateway],
      });
      const gateway = running.app.get(NestFlavouredGateway);
      const endpoint = gateway.server;
      expect(endpoint).toBeInstanceOf(WsRoomsEndpoint);
      expect(endpoint).toBeInstanceOf(RoomsService);
      expect([endpoint.name, endpoint.path]).toEqual(['default', '/ws']);
      expect(gateway.serverAtModuleInit).toBe(endpoint);
      expect(gateway.initialised).toEqual([endpoint]);

      const raw = await ProtocolClient.connect(running.wsUrl('/ws'));
      raw.emit('shout', 'hi');
      const [id] = (await raw.nextEvent('shout')).payload!.split(':');
      expect(endpoint.connections.count).toBe(1);
      expect(endpoint.connection(id)?.id).toBe(id);
      raw.emit('enlist', 'blue');
      expect((await raw.nextEvent('welcome-to')).payload).toBe('blue');
      expect(await endpoint.members('blue')).toEqual([id]);

      const client = new WsRoomsClient(running.wsUrl('/ws'), { WebSocket, reconnect: false });
      await opened(client);
      await expect(client.request('add', { a: 2, b: 40 })).resolves.toBe(42);
      client.close();
      await raw.close();
      await running.close();
    });

    async function startFailure(metadata: ModuleMetadata): Promise<unknown> {
      try {
        const running = await startAppOn(platform, metadata);
        await running.close();
      } catch (error) {
        return error;
      }
      throw new Error('the application started');
    }

    it('a gateway naming an endpoint that does not exist fails the start-up, saying what to write', async () => {
      @WsRoomsGateway({ endpoint: 'admn' })
      class TypoGateway {
        @OnEvent('x')
        x(): void {}
      }
      const error = await startFailure({
        imports: [
          WsRoomsModule.forRoot('/ws'),
          WsRoomsModule.forRoot({ endpoint: '/admin', name: 'admin' }),
        ],
        providers: [TypoGateway],
      });
      expect(error).toMatchObject({ code: WsRoomsErrorCode.InvalidGateway });
      expect((error as Error).message).toBe(
        'ws-rooms: gateway TypoGateway names the endpoint "admn", but the endpoints of this ' +
          'application are "default", "admin"; write @WsRoomsGateway({ endpoint: <one of ' +
          '"default", "admin"> }), or add WsRoomsModule.forRoot({ endpoint: \'/path\', name: \'admn\' })',
      );
    });

    it('a gateway in an application without WsRoomsModule fails the start-up, saying what to import', async () => {
      @WsRoomsGateway()
      class OrphanGateway {
        @OnEvent('x')
        x(): void {}
      }
      const error = await startFailure({ providers: [OrphanGateway] });
      expect(error).toMatchObject({ code: WsRoomsErrorCode.InvalidGateway });
      expect((error as Error).message).toBe(
        'ws-rooms: gateway OrphanGateway is a @WsRoomsGateway, but the application imports no ' +
          "WsRoomsModule to serve it; add WsRoomsModule.forRoot('/ws') (with your path) to the " +
          'imports of the root module',
      );
    });

    it('the orphan check keeps the gateway’s own onApplicationBootstrap', async () => {
      @WsRoomsGateway()
      class BootstrappedGateway {
        bootstrapped = 0;

        onApplicationBootstrap(): void {
          this.bootstrapped++;
        }
      }
      const running = await startAppOn(platform, {
        imports: [WsRoomsModule.forRoot('/ws')],
        providers: [BootstrappedGateway],
      });
      expect(running.app.get(BootstrappedGateway).bootstrapped).toBe(1);
      await running.close();
    });

    it.each([
      [
        'both @WsRoomsGateway and @WebSocketGateway',
        (() => {
          @WsRoomsGateway()
          @WebSocketGateway({ path: '/both' })
          class BothGateway {}
          return BothGateway;
        })(),
        /^ws-rooms: gateway BothGateway has both @WsRoomsGateway\(\) and Nest's @WebSocketGateway\(\); keep/,
      ],
      [
        '@SubscribeMessage with a pattern object',
        (() => {
          @WsRoomsGateway()
          class PatternGateway {
            @SubscribeMessage({ cmd: 'x' })
            x(): void {}
          }
          return PatternGateway;
        })(),
        /^ws-rooms: PatternGateway\.x: @SubscribeMessage\(\) on a ws-rooms gateway takes an event name \(a string\), got \{"cmd":"x"\}; write/,
      ],
      [
        '@MessageIsBinary() on an event handler',
        (() => {
          @WsRoomsGateway()
          class MisplacedGateway {
            @OnEvent('x')
            x(@MessageIsBinary() isBinary: boolean): boolean {
              return isBinary;
            }
          }
          return MisplacedGateway;
        })(),
        /^ws-rooms: MisplacedGateway\.x has a @MessageIsBinary\(\) parameter but is not only an @OnMessage\(\) handler/,
      ],
    ])('%s fails the start-up with WS_ROOMS_INVALID_GATEWAY', async (_name, gateway, message) => {
      const error = await startFailure({
        imports: [WsRoomsModule.forRoot('/ws')],
        providers: [gateway],
      });
      expect(error).toMatchObject({ code: WsRoomsErrorCode.InvalidGateway });
      expect((error as Error).message).toMatch(message);
    });

    it('@MessageIsBinary() on an @OnMessage handler starts', async () => {
      @WsRoomsGateway()
      class NativeGateway {
        @OnMessage()
        native(@MessageIsBinary() isBinary: boolean): boolean {
          return isBinary;
        }
      }
      const running = await startAppOn(platform, {
        imports: [WsRoomsModule.forRoot('/ws')],
        providers: [NativeGateway],
      });
      await running.close();
    });
  });
});
