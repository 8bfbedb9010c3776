/**
 * Compile-time checks of the typed event map. The `@ts-expect-error` lines are verified by
 * `tsc --noEmit` (part of `npm test`): if one of them stopped being an error, tsc would fail on the
 * unused directive. The runtime part only proves the calls are harmless.
 */
import NodeWebSocket from 'ws';
import type { WebSocketConstructorLike } from './websocket-like';
import { createFakeWebSocket } from './testing/fake-websocket';
import { WsRoomsClient } from './ws-rooms-client';

interface MyEvents {
  chat: string;
  join: { room: string };
  count: number;
}

interface ServerEvents {
  message: { from: string; text: string };
}

interface ClientEvents {
  send: string;
}

const options = () => ({ WebSocket: createFakeWebSocket().WebSocket, autoConnect: false });

describe('WsRoomsClient typing', () => {
  it('checks event names and payloads against the event map', () => {
    const client = new WsRoomsClient<MyEvents>('ws://server', options());

    client.on('chat', (value) => {
      const text: string = value;
      return text.toUpperCase();
    });
    client.on('join', (value) => value.room.length);
    client.once('count', (value) => value.toFixed(0));
    client.emit('chat', 'hello');
    client.emit('join', { room: 'lobby' });

    // @ts-expect-error a number is not a chat message
    client.emit('chat', 1);
    // @ts-expect-error the room must be a string
    client.emit('join', { room: 42 });
    // @ts-expect-error not an event of the map
    client.emit('leave', 'lobby');
    // @ts-expect-error not an event of the map
    client.on('leave', () => undefined);
    // @ts-expect-error the handler of chat receives a string, not a number
    client.on('chat', (value: number) => value);
    client.on('chat', (value) => {
      // @ts-expect-error value is a string: no property room
      return value.room;
    });
    expect(client.state).toBe('closed');
  });

  it('separates incoming and outgoing maps when given two', () => {
    const client = new WsRoomsClient<ServerEvents, ClientEvents>('ws://server', options());
    client.on('message', (value) => value.from + value.text);
    client.emit('send', 'hi');
    // @ts-expect-error `send` is outgoing only
    client.on('send', () => undefined);
    // @ts-expect-error `message` is incoming only
    client.emit('message', { from: 'a', text: 'b' });
    expect(client.state).toBe('closed');
  });

  it('without a type argument accepts any name, with unknown values', () => {
    const client = new WsRoomsClient('ws://server', options());
    client.emit('anything', { a: 1 });
    client.emit('other', 1);
    client.on('anything', (value) => {
      // @ts-expect-error the value is unknown until narrowed
      value.toFixed();
      if (typeof value === 'number') value.toFixed();
    });
    expect(client.state).toBe('closed');
  });

  it('keeps reserved names out of typed maps', () => {
    interface WithReserved {
      'ws-rooms:error': string;
      chat: string;
    }
    const client = new WsRoomsClient<WithReserved>('ws://server', options());
    client.on('chat', () => undefined);
    // @ts-expect-error reserved names are the library's own
    expect(() => client.on('ws-rooms:error', () => undefined)).toThrow();
  });

  it('types requests and their replies with a request map', async () => {
    interface Requests {
      history(room: string): string[];
      add(value: { a: number; b: number }): Promise<number>;
    }
    interface ServerRequests {
      confirm(question: string): boolean;
    }
    const client = new WsRoomsClient<MyEvents, MyEvents, Requests, ServerRequests>(
      'ws://server',
      options(),
    );
    const history: Promise<string[]> = client.request('history', 'lobby');
    const sum: Promise<number> = client.request('add', { a: 1, b: 2 }, { timeout: 50 });
    // @ts-expect-error the room must be a string
    void client.request('history', 1).catch(() => undefined);
    // @ts-expect-error not a request of the map
    void client.request('chat', 'x').catch(() => undefined);
    // @ts-expect-error the reply of history is string[], not number
    const wrong: Promise<number> = client.request('history', 'lobby');
    client.onRequest('confirm', (question) => question.length > 0);
    client.onRequest('confirm', async () => true);
    // @ts-expect-error the reply of confirm is a boolean
    client.onRequest('confirm', () => 'yes');
    // @ts-expect-error the value of confirm is a string
    client.onRequest('confirm', (question: number) => question > 0);
    await Promise.all([history, sum, wrong].map((p) => p.catch(() => undefined)));
  });

  it('without a request map, requests take and give unknown values', async () => {
    const client = new WsRoomsClient('ws://server', options());
    const reply = client.request('anything', { a: 1 });
    client.onRequest('question', (value) => String(value));
    const value = await reply.catch(() => undefined);
    const typeOnly = (): void => {
      // @ts-expect-error the reply is unknown until narrowed
      value.toFixed();
    };
    expect(typeof typeOnly).toBe('function');
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
