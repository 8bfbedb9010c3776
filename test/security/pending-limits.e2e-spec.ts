/**
 * What a connection may leave pending on the server, over real sockets: asynchronous handlers
 * (`maxPendingHandlers`), server-to-client requests (`maxPendingRequests`), and requests a
 * connection hook awaits while the connection's other messages are held.
 */
import { type DynamicModule, Module } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import {
  ConnectedSocket,
  MessageBody,
  OnEvent,
  type OnWsConnection,
  type WsConnection,
  WsRoomsGateway,
  WsRoomsModule,
  type WsRoomsOptions,
} from 'ws-rooms';
import { ProtocolClient, type ReceivedMessage } from '../support/protocol-client';
import { Recorder } from '../support/recorder';
import { type RunningApp, startApp } from '../support/test-app';

/** A promise the test settles: what a slow handler waits for. */
class Gate {
  private opened!: () => void;
  readonly promise = new Promise<void>((resolve) => (this.opened = resolve));
  open(): void {
    this.opened();
  }
}

/** Slow handlers that wait for the test's gate, and a record of every connection. */
@WsRoomsGateway()
class SlowGateway {
  gate = new Gate();
  readonly started = new Recorder<string>();
  readonly connected = new Recorder<WsConnection>();

  @OnEvent('slow')
  async slow(@MessageBody() value: string): Promise<string> {
    this.started.push(value);
    await this.gate.promise;
    return `done ${value}`;
  }

  @OnEvent('fast')
  fast(@MessageBody() value: string): string {
    return `fast ${value}`;
  }

  @OnEvent('whoami')
  whoami(@ConnectedSocket() connection: WsConnection): void {
    this.connected.push(connection);
  }
}

/** A connection hook that asks the client something and waits for the answer. */
@WsRoomsGateway()
class AskingGateway implements OnWsConnection {
  readonly answers = new Recorder<{ reply: unknown; elapsed: number }>();
  readonly handled = new Recorder<{ value: string; hookDone: boolean }>();
  private readonly hookDone = new WeakSet<WsConnection>();

  async onWsConnection(connection: WsConnection): Promise<void> {
    const started = performance.now();
    const reply = await connection.request('hello', 'who are you?');
    this.hookDone.add(connection);
    this.answers.push({ reply, elapsed: performance.now() - started });
  }

  @OnEvent('echo')
  echo(@ConnectedSocket() connection: WsConnection, @MessageBody() value: string): string {
    this.handled.push({ value, hookDone: this.hookDone.has(connection) });
    return value;
  }
}

@Module({})
class PendingModule {
  static with(options: WsRoomsOptions, gateway: 'slow' | 'asking'): DynamicModule {
    return {
      module: PendingModule,
      imports: [WsRoomsModule.forRoot(options)],
      providers: [gateway === 'slow' ? SlowGateway : AskingGateway],
    };
  }
}

const REQUEST = 'ws-rooms:req';
const REPLY = 'ws-rooms:res';
const ERROR = 'ws-rooms:error';

function json(message: ReceivedMessage): Record<string, unknown> {
  return JSON.parse(message.payload ?? 'null') as Record<string, unknown>;
}

describe('pending work per connection', () => {
  const apps: RunningApp[] = [];
  const clients: ProtocolClient[] = [];

  async function start(
    options: Omit<WsRoomsOptions, 'endpoint'>,
    gateway: 'slow' | 'asking',
  ): Promise<RunningApp> {
    const running = await startApp({
      imports: [PendingModule.with({ endpoint: '/ws', ...options }, gateway)],
    });
    apps.push(running);
    return running;
  }

  async function connect(running: RunningApp): Promise<ProtocolClient> {
    const client = await ProtocolClient.connect(running.wsUrl());
    clients.push(client);
    return client;
  }

  afterEach(async () => {
    await Promise.all(
      clients.splice(0).map(async (client) => {
        if (client.ws.readyState === WebSocket.CLOSED) return;
        client.ws.terminate();
        await client.waitClose();
      }),
    );
    await Promise.all(apps.splice(0).map((running) => running.close()));
  });

  describe('maxPendingHandlers', () => {
    it('refuses an event and a request past the limit with WS_ROOMS_TOO_MANY_PENDING, and handles again once one finishes', async () => {
      const running = await start({ maxPendingHandlers: 3 }, 'slow');
      const gateway = running.app.get(SlowGateway);
      const client = await connect(running);
      for (const value of ['a', 'b', 'c']) client.emit('slow', value);
      await gateway.started.waitForCount(3);

      client.emit('slow', 'd');
      const refused = json(await client.nextEvent(ERROR));
      expect(refused).toMatchObject({ code: 'WS_ROOMS_TOO_MANY_PENDING', event: 'slow' });
      client.send(REQUEST, 4, JSON.stringify({ id: 9, event: 'slow', value: 'e' }));
      const reply = json(await client.nextEvent(REPLY));
      expect(reply).toMatchObject({
        id: 9,
        error: { code: 'WS_ROOMS_TOO_MANY_PENDING', status: 429 },
      });
      // A synchronous handler is refused too while the limit is reached: the count is per message.
      client.emit('fast', 'f');
      expect(json(await client.nextEvent(ERROR))).toMatchObject({
        code: 'WS_ROOMS_TOO_MANY_PENDING',
        event: 'fast',
      });
      expect(gateway.started.items).toEqual(['a', 'b', 'c']);

      gateway.gate.open();
      for (const value of ['a', 'b', 'c']) {
        expect((await client.nextEvent('slow')).payload).toBe(`done ${value}`);
      }
      client.emit('fast', 'g');
      expect((await client.nextEvent('fast')).payload).toBe('fast g');
      client.emit('slow', 'h');
      expect((await client.nextEvent('slow')).payload).toBe('done h');
    });

    it('counts per connection: another client is not refused while one is at the limit', async () => {
      const running = await start({ maxPendingHandlers: 2 }, 'slow');
      const gateway = running.app.get(SlowGateway);
      const busy = await connect(running);
      const other = await connect(running);
      busy.emit('slow', 'a');
      busy.emit('slow', 'b');
      await gateway.started.waitForCount(2);
      other.emit('slow', 'c');
      await gateway.started.waitForCount(3);
      expect(other.eventsNamed(ERROR)).toEqual([]);
      gateway.gate.open();
      expect((await other.nextEvent('slow')).payload).toBe('done c');
    });
  });

  describe('a connection hook that awaits a request to its client', () => {
    it('gets the reply at once, and the messages sent before it are handled after the hook, in order', async () => {
      const running = await start({ requestTimeout: 8000 }, 'asking');
      const gateway = running.app.get(AskingGateway);
      const client = await connect(running);
      // Sent before the reply: they must wait for the hook, then run in order.
      client.emit('echo', 'first');
      client.emit('echo', 'second');
      const request = json(await client.nextEvent(REQUEST));
      expect(request).toMatchObject({ event: 'hello', value: 'who are you?' });
      client.send(REPLY, 4, JSON.stringify({ id: request.id, value: 'a client' }));

      const answer = await gateway.answers.waitForCount(1, 3000, 'the hook to get its reply');
      expect(answer.reply).toBe('a client');
      expect(answer.elapsed).toBeLessThan(2000);
      expect((await client.nextEvent('echo')).payload).toBe('first');
      expect((await client.nextEvent('echo')).payload).toBe('second');
      expect(gateway.handled.items).toEqual([
        { value: 'first', hookDone: true },
        { value: 'second', hookDone: true },
      ]);
    });
  });
});
