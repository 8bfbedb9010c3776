/**
 * Compile-time checks of the typed event map on the client. The `@ts-expect-error` lines are
 * verified by `tsc --noEmit` (part of `npm test`): if one of them stopped being an error, tsc would
 * fail on the unused directive. The runtime part checks what the typed calls put on the wire.
 */
import NodeWebSocket from 'ws';
import type { WsEventMap } from './client-event-map';
import type { WebSocketConstructorLike } from './websocket-like';
import { createFakeWebSocket, type FakeWebSocketKit } from './testing/fake-websocket';
import { WsRoomsClient } from './ws-rooms-client';

const P = 'iris-websocket-message:';

interface ChatEvents {
  toServer: { chat: string; join: { room: string }; typing: void; count: number };
  toClient: { chat: string; members: number; said: { from: string; text: string } };
  requestsToServer: {
    history(room: string): string[];
    add(value: { a: number; b: number }): Promise<number>;
    ping(): 'pong';
    maybe(value?: string): boolean;
  };
  requestsToClient: { confirm(question: string): boolean };
}

let kit: FakeWebSocketKit;

/** A client whose socket is open on the fake, so that typed calls reach `sent`. */
function open<Events extends WsEventMap = ChatEvents>(): WsRoomsClient<Events> {
  kit = createFakeWebSocket();
  const client = new WsRoomsClient<Events>('ws://server', { WebSocket: kit.WebSocket });
  kit.last.acceptOpen();
  return client;
}

describe('WsRoomsClient typing', () => {
  it('checks outgoing events against toServer, and sends a void event without a value', () => {
    const client = open();
    client.emit('chat', 'hello');
    client.emit('join', { room: 'lobby' });
    client.emit('typing');
    client.emit('count', 3);
    const typed = [...kit.last.sent];

    // @ts-expect-error a number is not a chat message
    client.emit('chat', 1);
    // @ts-expect-error the room must be a string
    client.emit('join', { room: 42 });
    // @ts-expect-error the value of join is required
    client.emit('join');
    // @ts-expect-error not an event of toServer
    client.emit('leave', 'lobby');
    // @ts-expect-error `members` is an event the server sends, not one the client sends
    client.emit('members', 2);

    expect(typed).toEqual([
      `${P}chat;0;hello`,
      `${P}join;4;{"room":"lobby"}`,
      `${P}typing;4;null`,
      `${P}count;1;3`,
    ]);
  });

  it('checks incoming events against toClient', () => {
    const client = open();
    const seen: string[] = [];
    client.on('chat', (value) => {
      const text: string = value;
      seen.push(text.toUpperCase());
    });
    client.on('said', (value) => seen.push(value.from + value.text));
    client.once('members', (value) => seen.push(value.toFixed(1)));

    // @ts-expect-error `typing` is sent by the client only
    client.on('typing', () => undefined);
    // @ts-expect-error the handler of chat receives a string, not a number
    client.on('chat', (value: number) => value);
    client.on('chat', (value) => {
      // @ts-expect-error value is a string: no property room
      return value.room;
    });
    // @ts-expect-error off checks the name too
    client.off('nothing');

    kit.last.receive(`${P}chat;0;hi`);
    kit.last.receive(`${P}said;4;{"from":"a","text":"b"}`);
    kit.last.receive(`${P}members;1;2`);
    expect(seen).toEqual(['HI', 'ab', '2.0']);
  });

  it('onAny hands every event with its name, and checking the name narrows the value', () => {
    const client = open();
    const seen: string[] = [];
    client.onAny((event, value) => {
      if (event === 'said') seen.push(`${event}:${value.from}/${value.text}`);
      else if (event === 'members') seen.push(`${event}:${value.toFixed(0)}`);
      // @ts-expect-error `typing` is not an event the server sends
      else if (event === 'typing') seen.push(event);
      else seen.push(`${event}:${value.toUpperCase()}`);
    });
    kit.last.receive(`${P}said;4;{"from":"a","text":"b"}`);
    kit.last.receive(`${P}ws-rooms:presence;4;{"room":"r","members":[]}`);
    kit.last.receive('native text');
    kit.last.receive(`${P}members;1;3`);
    kit.last.receive(`${P}chat;0;hi`);
    expect(seen).toEqual(['said:a/b', 'members:3', 'chat:HI']);
  });

  it('types requests and their replies from requestsToServer and requestsToClient', async () => {
    const client = open();
    const history: Promise<string[]> = client.request('history', 'lobby');
    const sum: Promise<number> = client.request('add', { a: 1, b: 2 }, { timeout: 50 });
    const pong: Promise<'pong'> = client.request('ping');
    const maybe: Promise<boolean> = client.request('maybe');
    const timed = client.request('ping', undefined, { timeout: 50 });
    const typed = [...kit.last.sent];
    // @ts-expect-error the room must be a string
    void client.request('history', 1).catch(() => undefined);
    // @ts-expect-error the value of history is required
    void client.request('history').catch(() => undefined);
    // @ts-expect-error not a request of the map (chat is an event)
    void client.request('chat', 'x').catch(() => undefined);
    // @ts-expect-error the reply of history is string[], not number
    const wrong: Promise<number> = client.request('history', 'lobby');
    client.onRequest('confirm', (question) => question.length > 0);
    client.onRequest('confirm', async () => true);
    // @ts-expect-error the reply of confirm is a boolean
    client.onRequest('confirm', () => 'yes');
    // @ts-expect-error the value of confirm is a string
    client.onRequest('confirm', (question: number) => question > 0);
    // @ts-expect-error history is answered by the server, not by the client
    client.onRequest('history', () => []);

    const envelopes = typed.map((frame) => JSON.parse(String(frame).split(';4;')[1]));
    expect(envelopes.map(({ event, value }) => [event, value])).toEqual([
      ['history', 'lobby'],
      ['add', { a: 1, b: 2 }],
      ['ping', null],
      ['maybe', null],
      ['ping', null],
    ]);
    client.close();
    await Promise.all([history, sum, pong, maybe, timed, wrong].map((p) => p.catch(() => 0)));
  });

  it('without a type argument accepts any name and any value, with unknown values in', async () => {
    kit = createFakeWebSocket();
    const client = new WsRoomsClient('ws://server', { WebSocket: kit.WebSocket });
    kit.last.acceptOpen();
    client.emit('anything', { a: 1 });
    client.emit('bare');
    client.on('anything', (value) => {
      // @ts-expect-error the value is unknown until narrowed
      value.toFixed();
      if (typeof value === 'number') value.toFixed();
    });
    const reply = client.request('anything', { a: 1 });
    client.onRequest('question', (value) => String(value));
    client.close();
    const value = await reply.catch(() => undefined);
    const typeOnly = (): void => {
      // @ts-expect-error the reply is unknown until narrowed
      value.toFixed();
    };
    expect(typeof typeOnly).toBe('function');
    expect(kit.last.sent.slice(0, 2)).toEqual([`${P}anything;4;{"a":1}`, `${P}bare;4;null`]);
  });

  it('leaves a section the map omits untyped, and keeps reserved names out', () => {
    interface EventsOnly {
      toClient: { 'ws-rooms:error': string; chat: string };
    }
    const client = open<EventsOnly>();
    client.on('chat', () => undefined);
    client.emit('free', 1);
    // @ts-expect-error reserved names are the library's own
    expect(() => client.on('ws-rooms:error', () => undefined)).toThrow();
    // @ts-expect-error not an event of toClient
    client.on('free', () => undefined);
    expect(kit.last.sent).toEqual([`${P}free;1;1`]);
  });

  it('refuses a flat map (the shape before sections) with a compile error', () => {
    interface Flat {
      chat: string;
    }
    // @ts-expect-error a flat map has no section: toServer, toClient, requestsToServer...
    const client = new WsRoomsClient<Flat>('ws://server', {
      WebSocket: createFakeWebSocket().WebSocket,
      autoConnect: false,
    });
    expect(client.state).toBe('closed');
  });

  it('accepts the browser WebSocket and the ws package structurally', () => {
    const fromWs: WebSocketConstructorLike = NodeWebSocket;
    const fromBrowser: WebSocketConstructorLike | undefined = (
      globalThis as { WebSocket?: typeof WebSocket }
    ).WebSocket;
    expect(typeof fromWs).toBe('function');
    expect(fromBrowser === undefined || typeof fromBrowser === 'function').toBe(true);
  });
});
