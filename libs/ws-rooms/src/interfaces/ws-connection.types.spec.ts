/**
 * Compile-time checks of the event map on the gateway side: `WsConnection`, `to(...)`,
 * `RoomsService`, `ConnectionsService`, requests and the principal. The `@ts-expect-error` lines are
 * verified by `tsc --noEmit` (part of `npm test`): a directive that stopped being an error fails tsc.
 * The functions are type-checked only; the same calls run against a real app in
 * `test/typed-events.e2e-spec.ts`.
 */
import type { IncomingMessage } from 'node:http';
import type { ConnectionsService } from '../services/connections.service';
import type { RoomsService } from '../services/rooms.service';
import type { BroadcastOperator, BroadcastRequestResult } from './broadcast-operator.interface';
import type { PrincipalOf, WsEventMap } from './event-map.interface';
import type { OnWsConnection, OnWsDisconnect } from './lifecycle-hooks.interface';
import { All } from './targets';
import type { WsConnection } from './ws-connection.interface';

interface ChatEvents {
  toServer: { chat: string; join: string; typing: void };
  toClient: { chat: string; members: number; ping: void; said: { from: string; text: string } };
  requestsToServer: { history(room: string): string[] };
  requestsToClient: { confirm(question: string): boolean; ready(): Promise<'yes' | 'no'> };
}

interface User {
  readonly name: string;
}

const authenticate = async (request: IncomingMessage): Promise<User | null> =>
  request.headers.authorization ? { name: 'alice' } : null;

type ChatConnection = WsConnection<
  { visits: number },
  PrincipalOf<typeof authenticate>,
  ChatEvents
>;

/** What a gateway writes; type-checked, never called. */
const checks = {
  connection(c: ChatConnection): void {
    c.emit('chat', 'hello');
    c.emit('said', { from: c.principal.name, text: 'hi' }, { volatile: true });
    c.emit('ping');
    c.emit('ping', undefined, { binary: true });
    const visits: number = c.data.visits;
    void visits;
    // @ts-expect-error a number is not a chat message
    c.emit('chat', 1);
    // @ts-expect-error the value of said is required
    c.emit('said');
    // @ts-expect-error `join` is an event the client sends
    c.emit('join', 'lobby');
    // @ts-expect-error the principal is a User, not a string
    const principal: string = c.principal;
    void principal;
    c.on('chat', (text) => text.toUpperCase());
    // @ts-expect-error `members` is sent by the server, not received from the client
    c.on('members', () => undefined);
  },

  async requests(c: ChatConnection): Promise<void> {
    const yes: boolean = await c.request('confirm', 'delete?', { timeout: 1000 });
    const ready: 'yes' | 'no' = await c.request('ready');
    void [yes, ready];
    // @ts-expect-error the question is a string
    await c.request('confirm', 1);
    // @ts-expect-error history is a request the client sends, not one the server sends
    await c.request('history', 'lobby');
    // @ts-expect-error the reply of confirm is a boolean
    const wrong: string = await c.request('confirm', 'x');
    void wrong;
    const votes: BroadcastRequestResult<boolean> = await c.to('poll').request('confirm', 'lunch?');
    void votes;
  },

  broadcast(c: ChatConnection): void {
    const room: BroadcastOperator<ChatEvents> = c.to('lobby').except(c.id).volatile;
    room.emit('chat', 'hi');
    room.binary.emit('ping');
    // @ts-expect-error a broadcast checks names against toClient
    room.emit('typing');
    // @ts-expect-error and values
    c.to(All).emit('members', 'two');
  },

  rooms(rooms: RoomsService<ChatEvents>, connections: ConnectionsService<ChatEvents>): void {
    rooms.to('lobby').emit('chat', 'from HTTP');
    rooms.emit('members', 3);
    rooms.emit('ping');
    // @ts-expect-error not an event of toClient
    rooms.emit('nope', 1);
    // @ts-expect-error the value of members is a number
    rooms.in('lobby').emit('members', '3');
    const found = connections.get<{ visits: number }, User>('some-id');
    found?.emit('chat', 'found');
    // @ts-expect-error typed by the service's map
    found?.emit('chat', 1);
    for (const each of connections) each.emit('ping');
  },

  untyped(c: WsConnection, rooms: RoomsService, connections: ConnectionsService): void {
    c.emit('anything', { a: 1 });
    c.emit('bare');
    c.to('room').emit('x', [1, 2]);
    rooms.emit('y');
    connections.get('id')?.emit('z', 1);
    c.on('anything', (value) => {
      const decoded: string | number | boolean | Buffer | null | object = value;
      void decoded;
    });
    const reply: Promise<unknown> = c.request('question', 1);
    void reply;
    // A typed connection goes wherever an untyped one is expected.
    const typed = null as unknown as ChatConnection;
    const asUntyped: WsConnection<{ visits: number }, User> = typed;
    void asUntyped;
  },
};

/** A gateway typed with the connection type: the hooks receive it. */
class ChatGateway implements OnWsConnection<ChatConnection>, OnWsDisconnect<ChatConnection> {
  readonly seen: string[] = [];

  onWsConnection(connection: ChatConnection): void {
    this.seen.push(connection.principal.name);
  }

  onWsDisconnect(connection: ChatConnection): void {
    this.seen.push(`bye ${connection.principal.name}`);
  }
}

describe('the event map on the gateway side', () => {
  it('is a compile-time contract (see the @ts-expect-error lines)', () => {
    expect(Object.keys(checks)).toEqual([
      'connection',
      'requests',
      'broadcast',
      'rooms',
      'untyped',
    ]);
  });

  it('names the principal after authenticate', async () => {
    const accepted: PrincipalOf<typeof authenticate> | null = await authenticate({
      headers: { authorization: 'x' },
    } as IncomingMessage);
    // @ts-expect-error null is a refusal, not a principal
    const principal: PrincipalOf<typeof authenticate> = null;
    void principal;
    expect(accepted).toEqual({ name: 'alice' });
  });

  it('keeps the map an ordinary type', () => {
    const map: WsEventMap = { toServer: {}, toClient: {} } satisfies WsEventMap;
    expect(new ChatGateway().seen).toEqual([]);
    expect(Object.keys(map)).toEqual(['toServer', 'toClient']);
  });
});
