import { Module } from '@nestjs/common';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, runInContext } from 'node:vm';
import WebSocket from 'ws';
import {
  ConnectedSocket,
  MessageBody,
  OnEvent,
  type OnWsConnection,
  type WsConnection,
  WsRoomsGateway,
  WsRoomsModule,
} from 'ws-rooms';
import { withTimeout } from './support/protocol-client';
import { httpExchange } from './support/raw-socket';
import { type RunningApp, startApp } from './support/test-app';

const ROOT = join(__dirname, '..');
const SCRIPT_FILE = join(ROOT, 'libs', 'ws-rooms', 'assets', 'iris-ws.js');

@WsRoomsGateway()
class PageGateway implements OnWsConnection {
  onWsConnection(connection: WsConnection): void {
    connection.emit('welcome', { id: connection.id });
  }

  @OnEvent('chat')
  chat(@ConnectedSocket() connection: WsConnection, @MessageBody() value: unknown): void {
    connection.emit('chat', { type: typeof value, value: value as string });
  }
}

@Module({ imports: [WsRoomsModule.forRoot('/ws')], providers: [PageGateway] })
class ClientScriptModule {}

/** The browser globals the script needs, and nothing of Node's: a page's window, minimal. */
function browserContext(extra: Record<string, unknown>): Record<string, any> {
  const context: Record<string, any> = {
    TextEncoder,
    TextDecoder,
    URL,
    setTimeout,
    clearTimeout,
    console,
    ...extra,
  };
  context.window = context;
  return createContext(context);
}

/** Records what the script does with the WebSocket it creates. */
class FakeWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static readonly instances: FakeWebSocket[] = [];
  readyState = FakeWebSocket.CONNECTING;
  binaryType = 'blob';
  readonly sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;

  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this);
  }

  send(data: unknown): void {
    this.sent.push(data);
  }

  close(): void {
    this.readyState = FakeWebSocket.CLOSED;
    this.onclose?.();
  }
}

describe('client script: GET/HEAD /iris-ws.js with validators, and a working Ws', () => {
  let running: RunningApp;
  let file: string;

  beforeAll(async () => {
    if (!existsSync(SCRIPT_FILE))
      execFileSync('npm', ['run', 'build:client'], { cwd: ROOT, stdio: 'ignore' });
    file = readFileSync(SCRIPT_FILE, 'utf8');
    running = await startApp({ imports: [ClientScriptModule] });
  });

  afterAll(async () => {
    await running?.close();
  });

  it('GET serves the built script as JavaScript with an ETag and Last-Modified', async () => {
    const answer = await httpExchange(running.port, 'GET', '/iris-ws.js');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(answer.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const lastModified = answer.headers['last-modified']!;
    expect(Number.isNaN(Date.parse(lastModified))).toBe(false);
    expect(new Date(lastModified).toUTCString()).toBe(lastModified);
    expect(answer.body).toBe(file);
  });

  it('HEAD answers the same headers without a body', async () => {
    const get = await httpExchange(running.port, 'GET', '/iris-ws.js');
    const head = await httpExchange(running.port, 'HEAD', '/iris-ws.js');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
    expect(head.headers.etag).toBe(get.headers.etag);
    expect(head.headers['last-modified']).toBe(get.headers['last-modified']);
  });

  it('If-None-Match with the ETag answers 304 without a body; another tag gets the script', async () => {
    const { headers } = await httpExchange(running.port, 'GET', '/iris-ws.js');
    const fresh = await httpExchange(running.port, 'GET', '/iris-ws.js', {
      'If-None-Match': headers.etag!,
    });
    expect([fresh.status, fresh.body]).toEqual([304, '']);
    const listed = await httpExchange(running.port, 'GET', '/iris-ws.js', {
      'If-None-Match': `"other", ${headers.etag!}`,
    });
    expect(listed.status).toBe(304);
    const stale = await httpExchange(running.port, 'GET', '/iris-ws.js', {
      'If-None-Match': '"not-the-tag"',
    });
    expect([stale.status, stale.body]).toEqual([200, file]);
  });

  it('If-Modified-Since at or after Last-Modified answers 304; an earlier date gets the script', async () => {
    const { headers } = await httpExchange(running.port, 'GET', '/iris-ws.js');
    const lastModified = headers['last-modified']!;
    const fresh = await httpExchange(running.port, 'GET', '/iris-ws.js', {
      'If-Modified-Since': lastModified,
    });
    expect([fresh.status, fresh.body]).toEqual([304, '']);
    const earlier = new Date(Date.parse(lastModified) - 60_000).toUTCString();
    const stale = await httpExchange(running.port, 'GET', '/iris-ws.js', {
      'If-Modified-Since': earlier,
    });
    expect([stale.status, stale.body]).toEqual([200, file]);
  });

  it('the body defines the global Ws, which speaks the Iris protocol to the WebSocket it opens', async () => {
    const { body } = await httpExchange(running.port, 'GET', '/iris-ws.js');
    const context = browserContext({ WebSocket: FakeWebSocket });
    runInContext(body, context);
    expect(typeof context.Ws).toBe('function');
    expect(typeof context.WsRooms).toBe('object');

    const page = new context.Ws('ws://example.test/ws');
    const [socket] = FakeWebSocket.instances;
    expect(socket.url).toBe('ws://example.test/ws');
    const received: string[] = [];
    page.On('chat', (message: string) => received.push(message));
    socket.readyState = FakeWebSocket.OPEN;
    socket.onopen!();
    page.Emit('chat', 'hello');
    page.Emit('chat', true);
    expect(socket.sent).toEqual([
      'iris-websocket-message:chat;0;hello',
      'iris-websocket-message:chat;2;true',
    ]);
    socket.onmessage!({ data: 'iris-websocket-message:chat;4;{"a":1}' });
    // As the original client: the raw payload text, for the page to JSON.parse.
    expect(received).toEqual(['{"a":1}']);
  });

  it('the served Ws talks to this server over a real socket', async () => {
    const { body } = await httpExchange(running.port, 'GET', '/iris-ws.js');
    const context = browserContext({
      WebSocket,
      location: { protocol: 'http:', host: `127.0.0.1:${running.port}` },
    });
    runInContext(body, context);
    const page = new context.Ws('/ws');
    try {
      const welcome = new Promise<string>((resolve) => page.On('welcome', resolve));
      const connected = new Promise<void>((resolve) => page.OnConnect(resolve));
      await withTimeout(connected, 3000, 'OnConnect');
      expect(JSON.parse(await withTimeout(welcome, 3000, 'welcome')).id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      const replies: string[] = [];
      const twoReplies = new Promise<void>((resolve) =>
        page.On('chat', (message: string) => {
          replies.push(message);
          if (replies.length === 2) resolve();
        }),
      );
      page.Emit('chat', 'hi there');
      page.Emit('chat', { nested: [1, 2] });
      await withTimeout(twoReplies, 3000, 'two chat replies');
      expect(replies.map((reply) => JSON.parse(reply))).toEqual([
        { type: 'string', value: 'hi there' },
        { type: 'object', value: { nested: [1, 2] } },
      ]);
    } finally {
      const disconnected = new Promise<void>((resolve) => page.OnDisconnect(resolve));
      page.Disconnect();
      await withTimeout(disconnected, 3000, 'OnDisconnect');
    }
  });
});
