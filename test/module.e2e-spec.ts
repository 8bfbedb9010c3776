import { Body, Controller, Injectable, Module, Post, Scope } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import {
  ConnectedSocket,
  ConnectionsService,
  InjectConnections,
  InjectRooms,
  MessageBody,
  OnEvent,
  OnWsEvent,
  type OnWsConnection,
  RoomsService,
  type WsConnection,
  WsRoomsAdapter,
  WsRoomsGateway,
  WsRoomsModule,
  type WsRoomsOptions,
  type WsRoomsOptionsFactory,
} from 'ws-rooms';
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
    @WebSocketGateway({ path: '/nest' })
    class NestStyleGateway {
      handleConnection(client: WsConnection): void {
        void client.join('nest-room');
      }

      @SubscribeMessage('hello')
      hello(@ConnectedSocket() client: WsConnection, @MessageBody() name: string): string {
        client.to('nest-room').emit('greeted', name);
        return `hello ${name}`;
      }
    }

    it('serves a Nest gateway over the Iris protocol with rooms', async () => {
      @Module({ providers: [NestStyleGateway] })
      class NestStyleModule {}
      const running = await startAppOn(
        platform,
        { imports: [NestStyleModule] },
        { configure: (app) => app.useWebSocketAdapter(new WsRoomsAdapter(app)) },
      );
      const client = await ProtocolClient.connect(running.wsUrl('/nest'));
      client.emit('hello', 'nest');
      expect((await client.nextEvent('hello')).payload).toBe('hello nest');
      expect((await client.nextEvent('greeted')).payload).toBe('nest');
      await client.close();
      await running.close();
    });
  });
});
