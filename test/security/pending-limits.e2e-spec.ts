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
  WsRoomsError,
  WsRoomsGateway,
  WsRoomsModule,
  type WsRoomsOptions,
} from 'ws-rooms';
import { ProtocolClient, type ReceivedMessage, withTimeout } from '../support/protocol-client';
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

  describe('maxPendingRequests', () => {
    it('rejects a request past the limit at once with WS_ROOMS_REQUEST_LIMIT, and accepts again after a reply', async () => {
      const running = await start({ maxPendingRequests: 3, requestTimeout: 10_000 }, 'slow');
      const gateway = running.app.get(SlowGateway);
      const client = await connect(running);
      client.emit('whoami', '');
      const connection = await gateway.connected.waitForCount(1);

      const pending = [1, 2, 3].map((n) => connection.request('ask', n));
      const started = performance.now();
      const refused = await connection.request('ask', 4).then(
        () => null,
        (error: unknown) => error,
      );
      expect(performance.now() - started).toBeLessThan(1000);
      expect(refused).toBeInstanceOf(WsRoomsError);
      expect((refused as WsRoomsError).code).toBe('WS_ROOMS_REQUEST_LIMIT');

      // Exactly three requests reached the client; answering one makes room for one more.
      const requests = [];
      for (let i = 0; i < 3; i++) requests.push(json(await client.nextEvent(REQUEST)));
      expect(requests.map((r) => r.value)).toEqual([1, 2, 3]);
      client.send(REPLY, 4, JSON.stringify({ id: requests[0].id, value: 'one' }));
      await expect(pending[0]).resolves.toBe('one');
      const fifth = connection.request('ask', 5);
      expect(json(await client.nextEvent(REQUEST)).value).toBe(5);

      client.ws.terminate();
      for (const request of [...pending.slice(1), fifth]) {
        await expect(request).rejects.toMatchObject({ code: 'WS_ROOMS_REQUEST_ABORTED' });
      }
    });

    it('a room request counts against each recipient: one at the limit is reported in errors, the others answer', async () => {
      const running = await start({ maxPendingRequests: 1, requestTimeout: 10_000 }, 'slow');
      const gateway = running.app.get(SlowGateway);
      const full = await connect(running);
      const free = await connect(running);
      full.emit('whoami', '');
      const fullConnection = await gateway.connected.waitForCount(1);
      free.emit('whoami', '');
      const freeConnection = await gateway.connected.waitForCount(2);
      const held = fullConnection.request('ask', 'held');
      await full.nextEvent(REQUEST);

      const all = freeConnection
        .to(fullConnection.id)
        .to(freeConnection.id)
        .request('ask', 'everyone', { timeout: 5000 });
      const asked = json(await free.nextEvent(REQUEST));
      free.send(REPLY, 4, JSON.stringify({ id: asked.id, value: 'here' }));
      const result = await withTimeout(all, 5000, 'room request');
      expect(result.replies.get(freeConnection.id)).toBe('here');
      expect(result.errors.get(fullConnection.id)?.code).toBe('WS_ROOMS_REQUEST_LIMIT');
      full.ws.terminate();
      await expect(held).rejects.toMatchObject({ code: 'WS_ROOMS_REQUEST_ABORTED' });
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
