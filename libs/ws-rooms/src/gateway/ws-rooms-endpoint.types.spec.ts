/**
 * Compile-time checks of `WsRoomsEndpoint<TEvents>`, what `@WebSocketServer()` gives a gateway: its
 * broadcasts, its connections and the connections it looks up are checked against the map's
 * `toClient` events, like `RoomsService<TEvents>` and `WsConnection`; without a map it accepts
 * anything. The `@ts-expect-error` lines are verified by `tsc --noEmit`.
 */
import type { BroadcastOperator } from '../interfaces/broadcast-operator.interface';
import type { WsConnection } from '../interfaces/ws-connection.interface';
import { RoomsService } from '../services/rooms.service';
import { WsRoomsEndpoint } from './ws-rooms-endpoint';

interface ChatEvents {
  toServer: { chat: string };
  toClient: { said: { from: string; text: string }; members: number; ping: void };
  requestsToClient: { confirm(question: string): boolean };
}

interface User {
  readonly name: string;
}

/** Type-checked, never called. */
const checks = {
  typed(server: WsRoomsEndpoint<ChatEvents>): void {
    server.emit('members', 2);
    server.emit('ping');
    server.to('lobby').emit('said', { from: 'server', text: 'hi' });
    const room: BroadcastOperator<ChatEvents> = server.in('lobby').except('id');
    void room;
    // @ts-expect-error `chat` is an event the client sends
    server.emit('chat', 'hi');
    // @ts-expect-error the value of members is a number
    server.to('lobby').emit('members', 'two');
    // @ts-expect-error the value of said is required
    server.emit('said');

    const found = server.connection<{ visits: number }, User>('id');
    found?.emit('said', { from: found.principal.name, text: String(found.data.visits) });
    // @ts-expect-error typed by the endpoint's map
    found?.emit('said', 'text');
    const byService: WsConnection<Record<string, unknown>, unknown, ChatEvents> | undefined =
      server.connections.get('id');
    void byService;
    for (const each of server.connections) each.emit('ping');
    // @ts-expect-error iteration hands out connections typed by the map
    for (const each of server.connections) each.emit('nope');
    void server.to('poll').request('confirm', 'lunch?');
    // @ts-expect-error the question is a string
    void server.to('poll').request('confirm', 1);
  },

  untyped(server: WsRoomsEndpoint): void {
    server.emit('anything', { a: 1 });
    server.to('room').emit('x');
    server.connection('id')?.emit('y', [1]);
    const rooms: RoomsService = server;
    void rooms;
  },

  assignable(server: WsRoomsEndpoint<ChatEvents>): void {
    // A typed endpoint is a typed RoomsService of the same map.
    const rooms: RoomsService<ChatEvents> = server;
    void rooms;
  },
};

describe('WsRoomsEndpoint typed by the event map', () => {
  it('is a compile-time view (see the @ts-expect-error lines)', () => {
    expect(Object.keys(checks)).toEqual(['typed', 'untyped', 'assignable']);
  });

  it('is still a RoomsService at run time', () => {
    expect(Object.getPrototypeOf(WsRoomsEndpoint.prototype)).toBe(RoomsService.prototype);
  });
});
