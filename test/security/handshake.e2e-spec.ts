import {
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  Module,
  type Provider,
  UnauthorizedException,
} from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import WebSocket from 'ws';
import {
  ConnectedSocket,
  ConnectionsService,
  MemoryRoomStore,
  OnEvent,
  type OnWsConnection,
  RoomsService,
  type WsConnection,
  WsRoomsGateway,
  WsRoomsModule,
  type WsRoomsOptions,
} from 'ws-rooms';
import { buildFrame, Opcode } from '../support/frames';
import { eventually, ProtocolClient, withTimeout } from '../support/protocol-client';
import { upgradeRequest } from '../support/raw-socket';
import { type RunningApp, startApp } from '../support/test-app';

/** Records every connection that reached the gateway, and what its principal was. */
@WsRoomsGateway()
class HandshakeGateway implements OnWsConnection {
  readonly connected: { id: string; principal: unknown }[] = [];

  async onWsConnection(connection: WsConnection): Promise<void> {
    this.connected.push({ id: connection.id, principal: connection.principal });
    await connection.join('lobby');
    connection.emit('welcome', connection.id);
  }

  @OnEvent('whoami')
  whoami(@ConnectedSocket() connection: WsConnection): unknown {
    return { principal: connection.principal ?? null };
  }
}

/** A DI service the authenticate function and the guards use. */
@Injectable()
class TokenService {
  readonly verified: string[] = [];
  private readonly users: Record<string, { name: string; role: string }> = {
    'token-alice': { name: 'alice', role: 'admin' },
    'token-bob': { name: 'bob', role: 'user' },
  };

  async verify(header: string | undefined): Promise<{ name: string; role: string } | null> {
    // Asynchronous on purpose, like a JWT check or a session lookup.
    await new Promise((resolve) => setImmediate(resolve));
    const token = header?.replace(/^Bearer /, '') ?? '';
    this.verified.push(token);
    return this.users[token] ?? null;
  }
}

@Injectable()
class KeyService {
  readonly seen: unknown[] = [];

  isValid(key: unknown): boolean {
    this.seen.push(key);
    return key === 'good-key';
  }
}

/** Reads a header and asks an injected service: false refuses, 'throw' throws ForbiddenException. */
@Injectable()
class ApiKeyGuard implements CanActivate {
  constructor(private readonly keys: KeyService) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<IncomingMessage>();
    const key = request.headers['x-api-key'];
    if (key === 'throw') throw new ForbiddenException('x');
    return this.keys.isValid(key);
  }
}

/** An HTTP-style guard that authenticates and sets `request.user` (like passport's AuthGuard). */
@Injectable()
class UserFromHeaderGuard implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<IncomingMessage & { user?: unknown }>();
    const name = request.headers['x-user'];
    if (typeof name !== 'string') return false;
    request.user = { name, via: 'guard' };
    return true;
  }
}

/** A guard that only lets admins in, reading the principal `authenticate` put on the request. */
@Injectable()
class AdminOnlyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<IncomingMessage & { principal?: unknown }>();
    return (request.principal as { role?: string } | undefined)?.role === 'admin';
  }
}

class RecordingStore extends MemoryRoomStore {
  readonly calls: string[] = [];

  override connected(connectionId: string): void {
    this.calls.push(`connected ${connectionId}`);
    return super.connected(connectionId);
  }

  override joined(connectionId: string, room: string): void {
    this.calls.push(`joined ${connectionId} ${room}`);
    return super.joined(connectionId, room);
  }
}

@Module({})
class HandshakeModule {
  static with(options: WsRoomsOptions, providers: Provider[] = []): DynamicModule {
    return {
      module: HandshakeModule,
      imports: [WsRoomsModule.forRoot(options)],
      providers: [HandshakeGateway, ...providers],
    };
  }
}

@Module({ providers: [TokenService], exports: [TokenService] })
class AuthModule {}

@Module({})
class AsyncHandshakeModule {
  static with(extra: Partial<WsRoomsOptions> = {}, providers: Provider[] = []): DynamicModule {
    return {
      module: AsyncHandshakeModule,
      imports: [
        AuthModule,
        WsRoomsModule.forRootAsync({
          imports: [AuthModule],
          inject: [TokenService],
          useFactory: (tokens: TokenService) => ({
            endpoint: '/ws',
            authenticate: (request: IncomingMessage) =>
              tokens.verify(request.headers.authorization),
            ...extra,
          }),
        }),
      ],
      providers: [HandshakeGateway, ...providers],
    };
  }
}

describe('handshake security: authentication, guards, capacity and origins before the upgrade', () => {
  const apps: RunningApp[] = [];
  const clients: ProtocolClient[] = [];

  async function start(module: DynamicModule): Promise<RunningApp & { gateway: HandshakeGateway }> {
    const running = await startApp({ imports: [module] });
    apps.push(running);
    return Object.assign(running, { gateway: running.app.get(HandshakeGateway) });
  }

  async function connect(
    running: RunningApp,
    options: WebSocket.ClientOptions = {},
  ): Promise<{ client: ProtocolClient; id: string }> {
    const client = await ProtocolClient.connect(running.wsUrl('/ws'), options);
    clients.push(client);
    const welcome = await client.nextEvent('welcome');
    return { client, id: welcome.payload! };
  }

  async function whoami(client: ProtocolClient): Promise<unknown> {
    client.emit('whoami', '');
    return JSON.parse((await client.nextEvent('whoami')).payload!).principal;
  }

  /** Nothing of a refused upgrade reached room state: no hook, no connection, no room, no store call. */
  async function expectNoRoomState(
    running: RunningApp & { gateway: HandshakeGateway },
    store?: RecordingStore,
  ): Promise<void> {
    const connections = running.app.get(ConnectionsService);
    expect(running.gateway.connected).toEqual([]);
    expect(connections.count).toBe(0);
    expect(connections.stats()).toMatchObject({ connectionsOpened: 0, messagesIn: 0 });
    expect(await running.app.get(RoomsService).rooms()).toEqual([]);
    if (store !== undefined) expect(store.calls).toEqual([]);
  }

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await Promise.all(apps.splice(0).map((running) => running.close()));
  });

  describe('authenticate', () => {
    const users: Record<string, { name: string }> = { 'good-token': { name: 'alice' } };

    function authenticateFixture(
      extra: Partial<WsRoomsOptions> = {},
    ): WsRoomsOptions & { calls: (string | undefined)[] } {
      const calls: (string | undefined)[] = [];
      return {
        endpoint: '/ws',
        calls,
        authenticate: async (request: IncomingMessage) => {
          const token = request.headers['x-token'] as string | undefined;
          calls.push(token);
          await new Promise((resolve) => setImmediate(resolve));
          if (token === 'throw-401') throw new UnauthorizedException('token expired');
          if (token === 'throw-429') throw new UnauthorizedException();
          if (token === 'crash') throw new Error('database password is hunter2');
          return users[token ?? ''] ?? null;
        },
        ...extra,
      };
    }

    it('an async authenticate that accepts makes its value connection.principal in the gateway', async () => {
      const options = authenticateFixture();
      const running = await start(HandshakeModule.with(options));
      const { client, id } = await connect(running, { headers: { 'X-Token': 'good-token' } });
      expect(running.gateway.connected).toEqual([{ id, principal: { name: 'alice' } }]);
      expect(await whoami(client)).toEqual({ name: 'alice' });
      expect(options.calls).toEqual(['good-token']);
    });

    it('returning null refuses with 401 before the upgrade; nothing reaches room state', async () => {
      const store = new RecordingStore();
      const options = authenticateFixture({ store });
      const running = await start(HandshakeModule.with(options));
      for (const headers of [{}, { 'X-Token': 'wrong' }]) {
        const answer = await upgradeRequest(running.port, '/ws', headers);
        expect([answer.status, answer.body]).toEqual([401, 'Unauthorized']);
      }
      await expect(ProtocolClient.connect(running.wsUrl('/ws'))).rejects.toThrow('HTTP 401');
      expect(options.calls).toEqual([undefined, 'wrong', undefined]);
      await expectNoRoomState(running, store);
      expect(running.app.get(ConnectionsService).stats().upgradesRefused).toBe(3);
    });

    it('a websocket frame sent right behind a refused upgrade is never read', async () => {
      const options = authenticateFixture();
      const running = await start(HandshakeModule.with(options));
      const socket = tcpConnect({ host: '127.0.0.1', port: running.port });
      socket.on('error', () => undefined);
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      // The upgrade and a frame in one write: the frame is in the upgrade's `head`.
      socket.write(
        Buffer.concat([
          Buffer.from(
            `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
              'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
          ),
          buildFrame({ opcode: Opcode.Text, payload: 'iris-websocket-message:whoami;0;' }),
        ]),
      );
      await withTimeout(closed, 3000, 'the refused socket to be closed by the server');
      expect(Buffer.concat(chunks).toString('latin1')).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
      await expectNoRoomState(running);
    });

    it('throwing UnauthorizedException refuses with 401 and its message', async () => {
      const running = await start(HandshakeModule.with(authenticateFixture()));
      const expired = await upgradeRequest(running.port, '/ws', { 'X-Token': 'throw-401' });
      expect([expired.status, expired.body]).toEqual([401, 'token expired']);
      const plain = await upgradeRequest(running.port, '/ws', { 'X-Token': 'throw-429' });
      expect([plain.status, plain.body]).toEqual([401, 'Unauthorized']);
      await expectNoRoomState(running);
    });

    it('an unexpected error refuses with 500 and does not leak its message', async () => {
      const running = await start(HandshakeModule.with(authenticateFixture()));
      const answer = await upgradeRequest(running.port, '/ws', { 'X-Token': 'crash' });
      expect([answer.status, answer.body]).toEqual([500, 'Internal Server Error']);
      expect(answer.body).not.toContain('hunter2');
      await expectNoRoomState(running);
    });

    it('forRootAsync: an authenticate built from an injected service accepts and refuses', async () => {
      const running = await start(AsyncHandshakeModule.with());
      const tokens = running.app.get(TokenService);
      const { client } = await connect(running, {
        headers: { Authorization: 'Bearer token-bob' },
      });
      expect(await whoami(client)).toEqual({ name: 'bob', role: 'user' });
      const refused = await upgradeRequest(running.port, '/ws', {
        Authorization: 'Bearer forged',
      });
      expect(refused.status).toBe(401);
      expect(tokens.verified).toEqual(['token-bob', 'forged']);
      expect(running.gateway.connected).toHaveLength(1);
    });

    it('authenticate runs after the origin check: a foreign origin is refused without calling it', async () => {
      const options = authenticateFixture();
      const running = await start(HandshakeModule.with(options));
      const answer = await upgradeRequest(running.port, '/ws', {
        'X-Token': 'good-token',
        Origin: 'https://evil.example',
      });
      expect(answer.status).toBe(403);
      expect(options.calls).toEqual([]);
    });
  });

  describe('handshakeGuards', () => {
    it('a DI guard class reading a header: false refuses with 403, ForbiddenException("x") with 403 "x"', async () => {
      const running = await start(
        HandshakeModule.with({ endpoint: '/ws', handshakeGuards: [ApiKeyGuard] }, [
          KeyService,
          ApiKeyGuard,
        ]),
      );
      const keys = running.app.get(KeyService);
      const wrong = await upgradeRequest(running.port, '/ws', { 'X-Api-Key': 'bad-key' });
      expect([wrong.status, wrong.body]).toEqual([403, 'Forbidden']);
      const missing = await upgradeRequest(running.port, '/ws');
      expect(missing.status).toBe(403);
      const thrown = await upgradeRequest(running.port, '/ws', { 'X-Api-Key': 'throw' });
      expect([thrown.status, thrown.body]).toEqual([403, 'x']);
      await expectNoRoomState(running);
      const { client } = await connect(running, { headers: { 'X-Api-Key': 'good-key' } });
      expect(await whoami(client)).toBeNull();
      // The guard instance is the DI one: its injected service saw every request.
      expect(keys.seen).toEqual(['bad-key', undefined, 'good-key']);
    });

    it('a guard that sets request.user makes it the principal when there is no authenticate', async () => {
      const running = await start(
        HandshakeModule.with({ endpoint: '/ws', handshakeGuards: [UserFromHeaderGuard] }),
      );
      expect((await upgradeRequest(running.port, '/ws')).status).toBe(403);
      const { client, id } = await connect(running, { headers: { 'X-User': 'carol' } });
      expect(await whoami(client)).toEqual({ name: 'carol', via: 'guard' });
      expect(running.gateway.connected).toEqual([
        { id, principal: { name: 'carol', via: 'guard' } },
      ]);
    });

    it('guards run after authenticate and see its principal on the request', async () => {
      const running = await start(
        AsyncHandshakeModule.with({ handshakeGuards: [AdminOnlyGuard] }, [AdminOnlyGuard]),
      );
      const tokens = running.app.get(TokenService);
      // Not authenticated: 401 from authenticate, the guard never decides.
      expect(
        (await upgradeRequest(running.port, '/ws', { Authorization: 'Bearer nobody' })).status,
      ).toBe(401);
      // Authenticated but not an admin: the guard refuses.
      const bob = await upgradeRequest(running.port, '/ws', { Authorization: 'Bearer token-bob' });
      expect([bob.status, bob.body]).toEqual([403, 'Forbidden']);
      const { client } = await connect(running, {
        headers: { Authorization: 'Bearer token-alice' },
      });
      expect(await whoami(client)).toEqual({ name: 'alice', role: 'admin' });
      expect(tokens.verified).toEqual(['nobody', 'token-bob', 'token-alice']);
      expect(running.gateway.connected).toHaveLength(1);
    });
  });

  describe('capacity', () => {
    it('maxConnections: the upgrade beyond gets 503 before the upgrade; a slot is free again after a disconnect', async () => {
      const running = await start(HandshakeModule.with({ endpoint: '/ws', maxConnections: 2 }));
      const first = await connect(running);
      await connect(running);
      const refused = await upgradeRequest(running.port, '/ws');
      expect([refused.status, refused.body]).toEqual([503, 'Too many connections']);
      expect(running.gateway.connected).toHaveLength(2);
      await first.client.close();
      await eventually(
        () => running.app.get(ConnectionsService).count === 1,
        3000,
        'the first connection to be gone',
      );
      await connect(running);
      expect((await upgradeRequest(running.port, '/ws')).status).toBe(503);
    });

    it('maxConnectionsPerAddress: 503 for one address while another address still gets in', async () => {
      const running = await start(
        HandshakeModule.with({ endpoint: '/ws', maxConnections: 10, maxConnectionsPerAddress: 2 }),
      );
      const first = await connect(running, { localAddress: '127.0.0.1' });
      await connect(running, { localAddress: '127.0.0.1' });
      const refused = await upgradeRequest(running.port, '/ws');
      expect([refused.status, refused.body]).toEqual([
        503,
        'Too many connections from this address',
      ]);
      // Linux routes all of 127.0.0.0/8 to loopback: a second source address.
      await connect(running, { localAddress: '127.0.0.2' });
      await first.client.close();
      await eventually(
        () => running.app.get(ConnectionsService).count === 2,
        3000,
        'the first connection to be gone',
      );
      await connect(running, { localAddress: '127.0.0.1' });
    });

    it('capacity is checked first and held while authenticate runs: a handshake flood cannot pile up', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let pending = 0;
      let calls = 0;
      const running = await start(
        HandshakeModule.with({
          endpoint: '/ws',
          maxConnections: 3,
          authenticate: async () => {
            calls++;
            pending++;
            await gate;
            pending--;
            return { ok: true };
          },
        }),
      );
      const held = [1, 2, 3].map(() => upgradeRequest(running.port, '/ws', {}, 5000));
      await eventually(() => pending === 3, 3000, 'three upgrades waiting in authenticate');
      // Every slot is taken by an upgrade still authenticating: the next ones are refused at once,
      // without running authenticate, whatever their origin.
      for (const headers of [{}, { Origin: 'https://evil.example' }]) {
        const answer = await upgradeRequest(running.port, '/ws', headers);
        expect(answer.status).toBe(503);
      }
      expect(calls).toBe(3);
      release();
      expect((await Promise.all(held)).map((answer) => answer.status)).toEqual([101, 101, 101]);
    });

    it('refused and abandoned upgrades give their slot back', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const waiting: IncomingMessage[] = [];
      const running = await start(
        HandshakeModule.with({
          endpoint: '/ws',
          maxConnections: 1,
          authenticate: async (request) => {
            if (request.headers['x-wait'] === '1') {
              waiting.push(request);
              await gate;
            }
            return request.headers['x-token'] === 'ok' ? { ok: true } : null;
          },
        }),
      );
      // Refused by authenticate, by ws itself (bad key), by the origin check: slot after slot.
      for (let i = 0; i < 5; i++) {
        expect((await upgradeRequest(running.port, '/ws')).status).toBe(401);
        expect(
          (await upgradeRequest(running.port, '/ws', { 'X-Token': 'ok', 'Sec-WebSocket-Key': 'x' }))
            .status,
        ).toBe(400);
        expect(
          (await upgradeRequest(running.port, '/ws', { Origin: 'https://evil.example' })).status,
        ).toBe(403);
      }
      // A client that hangs up while authenticate runs.
      const abandoned = tcpConnect({ host: '127.0.0.1', port: running.port });
      abandoned.on('error', () => undefined);
      abandoned.write(
        'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
          'X-Wait: 1\r\nX-Token: ok\r\n\r\n',
      );
      await eventually(() => waiting.length === 1, 3000, 'the upgrade to wait in authenticate');
      abandoned.destroy();
      release();
      // The server does not read a socket during its upgrade, so it learns of the hang-up only when
      // it answers; either way the socket ends and its slot must come back.
      await eventually(() => waiting[0].socket.destroyed, 3000, 'the server side to be destroyed');
      await eventually(
        () => running.app.get(ConnectionsService).count === 0,
        3000,
        'no live connection',
      );
      const { client } = await connect(running, { headers: { 'X-Token': 'ok' } });
      expect(await whoami(client)).toEqual({ ok: true });
      expect(running.app.get(ConnectionsService).count).toBe(1);
    });
    it('an upgrade still in authenticate when the app shuts down is refused and does not hold the shutdown', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const waiting: IncomingMessage[] = [];
      const running = await start(
        HandshakeModule.with({
          endpoint: '/ws',
          authenticate: async (request) => {
            if (request.headers['x-wait'] !== '1') return { early: true };
            waiting.push(request);
            await gate;
            return { late: true };
          },
        }),
      );
      const { client } = await connect(running);
      const answer = upgradeRequest(running.port, '/ws', { 'X-Wait': '1' }, 5000);
      await eventually(() => waiting.length === 1, 3000, 'the upgrade to wait in authenticate');
      const closing = running.close();
      // The connected client's 1001 proves the shutdown has begun; only then comes the verdict.
      expect((await client.waitClose()).code).toBe(1001);
      release();
      // The upgrade must neither go through nor be left hanging (which would hold app.close()).
      expect((await answer).status).toBe(503);
      await withTimeout(closing, 3000, 'app.close()');
      expect(running.gateway.connected).toHaveLength(1);
    });
  });

  describe('origin allow list', () => {
    it('accepts the exact origins (normalised) and refuses look-alikes, substrings and "null"', async () => {
      const running = await start(
        HandshakeModule.with({ endpoint: '/ws', allowedOrigins: ['https://app.example'] }),
      );
      const status = async (origin: string) =>
        (await upgradeRequest(running.port, '/ws', { Origin: origin })).status;
      for (const origin of [
        'https://app.example',
        'https://APP.Example',
        'https://app.example:443',
        `http://127.0.0.1:${running.port}`,
      ]) {
        expect({ origin, status: await status(origin) }).toEqual({ origin, status: 101 });
      }
      for (const origin of [
        'null',
        'http://app.example',
        'https://app.example:8443',
        'https://app.example.evil.test',
        'https://evil-app.example',
        'https://app.examplex',
        'https://xapp.example',
        'https://app.example.',
        'https://app.example@evil.test',
        'https://evil.test/https://app.example',
        'https://evil.test?https://app.example',
        new URL('https://\u0430pp.example').origin, // a Cyrillic "а": https://xn--pp-6kc.example
        'app.example',
        '*',
        '',
        `http://127.0.0.1:${running.port}.evil.test`,
        `http://evil.test/127.0.0.1:${running.port}`,
        `http://127.0.0.1:${running.port}@evil.test`,
      ]) {
        expect({ origin, status: await status(origin) }).toEqual({ origin, status: 403 });
      }
      // Only the four accepted upgrades opened a connection.
      expect(running.app.get(ConnectionsService).stats().connectionsOpened).toBe(4);
    });

    it('the default policy (no allow list) refuses a "null" origin (sandboxed frames, file: pages)', async () => {
      const running = await start(HandshakeModule.with({ endpoint: '/ws' }));
      const answer = await upgradeRequest(running.port, '/ws', { Origin: 'null' });
      expect([answer.status, answer.body]).toEqual([403, 'Origin not allowed']);
    });

    it('"null" and wildcard patterns cannot be allow-listed (start-up fails: exact origins only)', () => {
      expect(() => WsRoomsModule.forRoot({ endpoint: '/ws', allowedOrigins: ['null'] })).toThrow(
        'is not an origin',
      );
      expect(() =>
        WsRoomsModule.forRoot({ endpoint: '/ws', allowedOrigins: ['https://*.example'] }),
      ).toThrow('"allowedOrigins" entry "https://*.example" is not an origin');
    });
  });
});
