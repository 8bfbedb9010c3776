/**
 * One event map types both ends: a gateway written with `WsConnection<Data, Principal, ChatEvents>`
 * and `RoomsService<ChatEvents>`, and a `WsRoomsClient<ChatEvents>` in Node, over real sockets. The
 * compile-time half is tsc's (the calls below compile only because the map allows them); this suite
 * checks that what the map promises is what travels: a `void` event sent without a value, typed
 * values and replies in both directions, the principal inferred from `authenticate` by
 * `defineWsRoomsOptions`, the endpoint of `@WebSocketServer()` typed by the same map.
 */
import { Injectable, Module } from '@nestjs/common';
import { WebSocketServer } from '@nestjs/websockets';
import WebSocket from 'ws';
import {
  ConnectedSocket,
  defineWsRoomsOptions,
  MessageBody,
  OnEvent,
  type OnWsConnection,
  RoomsService,
  type WsConnection,
  type WsRoomsEndpoint,
  WsRoomsGateway,
  WsRoomsModule,
  type WsRoomsPrincipal,
} from 'ws-rooms';
import { WsRoomsClient } from 'ws-rooms/client';
import { next, WAIT_MS } from './support/modern-client-waits';
import { Recorder } from './support/recorder';
import { type RunningApp, startApp } from './support/test-app';

interface ChatEvents {
  toServer: { chat: string; join: string; typing: void };
  toClient: { said: { from: string; text: string }; typing: string; welcome: void };
  requestsToServer: { history(room: string): string[] };
  requestsToClient: { confirm(question: string): boolean };
}

interface User {
  readonly name: string;
}

/** The endpoint's options; the principal's type follows `authenticate` (User, not User | null). */
const chatOptions = defineWsRoomsOptions({
  endpoint: '/ws',
  authenticate: (request): User | null => {
    const name = new URL(request.url ?? '', 'http://x').searchParams.get('name');
    return name ? { name } : null;
  },
});

type ChatConnection = WsConnection<
  { confirmed?: boolean },
  WsRoomsPrincipal<typeof chatOptions>,
  ChatEvents
>;

/** What the gateway saw, for the test to await. */
const seen = new Recorder<{ event: string; value: unknown }>();

@Injectable()
class Announcer {
  constructor(private readonly rooms: RoomsService<ChatEvents>) {}

  announce(room: string, text: string): void {
    this.rooms.to(room).emit('said', { from: 'server', text });
  }
}

@WsRoomsGateway()
class TypedGateway implements OnWsConnection<ChatConnection> {
  @WebSocketServer() server!: WsRoomsEndpoint<ChatEvents>;
  private readonly history: string[] = [];

  onWsConnection(c: ChatConnection): void {
    c.emit('welcome');
    // Not awaited: the reply is a message of this connection, and messages wait for this hook.
    void this.confirm(c);
  }

  private async confirm(c: ChatConnection): Promise<void> {
    const question = `are you ${c.principal.name}?`;
    c.data.confirmed = await c.request('confirm', question, { timeout: WAIT_MS });
    seen.push({ event: 'confirmed', value: c.data.confirmed });
  }

  @OnEvent('join')
  async join(@ConnectedSocket() c: ChatConnection, @MessageBody() room: string): Promise<void> {
    await c.join(room);
    seen.push({ event: 'join', value: room });
  }

  @OnEvent('chat')
  chat(@ConnectedSocket() c: ChatConnection, @MessageBody() text: string): void {
    this.history.push(text);
    this.server.to('lobby').emit('said', { from: c.principal.name, text });
  }

  @OnEvent('typing')
  typing(@ConnectedSocket() c: ChatConnection, @MessageBody() value: unknown): void {
    seen.push({ event: 'typing', value });
    c.to('lobby').except(c.id).emit('typing', c.principal.name);
  }

  @OnEvent('history')
  historyOf(): string[] {
    return [...this.history];
  }
}

@Module({
  imports: [WsRoomsModule.forRoot(chatOptions)],
  providers: [TypedGateway, Announcer],
})
class TypedModule {}

describe('typed events end to end', () => {
  let running: RunningApp;
  const clients: WsRoomsClient<ChatEvents>[] = [];

  beforeAll(async () => {
    running = await startApp({ imports: [TypedModule] });
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  afterAll(async () => running.close());

  /** A typed client that answers the gateway's `confirm` and has joined the lobby. */
  async function member(name: string): Promise<WsRoomsClient<ChatEvents>> {
    const client = new WsRoomsClient<ChatEvents>(running.wsUrl(`/ws?name=${name}`), {
      WebSocket,
      reconnect: false,
    });
    clients.push(client);
    client.onRequest('confirm', (question) => question === `are you ${name}?`);
    await next<void>((deliver) => client.on('welcome', deliver), `${name} welcomed`);
    await seen.waitFor((item) => item.event === 'confirmed', WAIT_MS, `${name} confirmed`);
    client.emit('join', 'lobby');
    await seen.waitFor((item) => item.event === 'join', WAIT_MS, `${name} joined`);
    seen.items.length = 0;
    return client;
  }

  it('carries typed events, void events and typed requests both ways', async () => {
    const alice = await member('alice');
    const bob = await member('bob');

    const saidToBob = next<{ from: string; text: string }>(
      (deliver) => bob.on('said', deliver),
      'said to bob',
    );
    alice.emit('chat', 'hello');
    const said = await saidToBob;
    expect(said).toEqual({ from: 'alice', text: 'hello' });
    // A typed value is a value the handler can use as declared.
    expect(said.text.toUpperCase()).toBe('HELLO');

    const typingToBob = next<string>((deliver) => bob.on('typing', deliver), 'typing to bob');
    alice.emit('typing');
    expect(await typingToBob).toBe('alice');
    // The void event arrives at the gateway as JSON null.
    expect((await seen.waitFor((item) => item.event === 'typing', WAIT_MS)).value).toBeNull();

    const history: string[] = await bob.request('history', 'lobby', { timeout: WAIT_MS });
    expect(history).toEqual(['hello']);
  });

  it('types the server-to-client request and its reply; the question names the principal', async () => {
    seen.items.length = 0;
    for (const [name, answer] of [
      ['carol', (question: string) => question === 'are you carol?'],
      ['dave', () => false],
    ] as const) {
      const client = new WsRoomsClient<ChatEvents>(running.wsUrl(`/ws?name=${name}`), {
        WebSocket,
        reconnect: false,
      });
      clients.push(client);
      client.onRequest('confirm', answer);
    }
    await seen.waitForCount(2, WAIT_MS, 'both confirmations');
    expect(seen.items.map((item) => item.value).sort()).toEqual([false, true]);
  });

  it('RoomsService<ChatEvents> reaches typed listeners from outside a gateway', async () => {
    const erin = await member('erin');
    const said = next<{ from: string; text: string }>(
      (deliver) => erin.on('said', deliver),
      'said to erin',
    );
    running.app.get(Announcer).announce('lobby', 'maintenance at noon');
    expect(await said).toEqual({ from: 'server', text: 'maintenance at noon' });
  });
});
