import { Module } from '@nestjs/common';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { createContext, runInContext } from 'node:vm';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
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
import { PLATFORMS, type RunningApp, startAppOn } from './support/test-app';

const ROOT = join(__dirname, '..');
const SCRIPT_FILE = join(ROOT, 'libs', 'ws-rooms', 'assets', 'iris-ws.js');
const PATH = '/iris-ws.js';

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

/** An HTTP answer with its body as bytes, exactly as they came over the socket (nothing decoded). */
interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** From sending the request to the end of the answer. */
  readonly elapsedMs: number;
}

/** One request on its own connection (no agent), read to its end; bounded by `timeoutMs`. */
function exchange(
  port: number,
  method: 'GET' | 'HEAD',
  headers: Record<string, string> = {},
  timeoutMs = 3000,
): Promise<RawAnswer> {
  const started = performance.now();
  return withTimeout(
    new Promise<RawAnswer>((resolve, reject) => {
      const request = httpRequest(
        { host: '127.0.0.1', port, method, path: PATH, headers, agent: false },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: Buffer.concat(chunks),
              elapsedMs: performance.now() - started,
            }),
          );
        },
      );
      request.on('error', reject);
      request.end();
    }),
    timeoutMs,
    `${method} ${PATH}`,
  );
}

/** The validators and cache headers of an answer, for comparing GET, HEAD and 304. */
function validators(answer: RawAnswer): Record<string, string | undefined> {
  const { etag, vary } = answer.headers;
  return { etag, vary, 'cache-control': answer.headers['cache-control'] };
}

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

const ENCODINGS = [
  { coding: 'br', accept: 'gzip, deflate, br, zstd', decode: brotliDecompressSync },
  { coding: 'gzip', accept: 'gzip, deflate', decode: gunzipSync },
] as const;

let file: Buffer;

beforeAll(() => {
  if (!existsSync(SCRIPT_FILE))
    execFileSync('npm', ['run', 'build:client'], { cwd: ROOT, stdio: 'ignore' });
  file = readFileSync(SCRIPT_FILE);
});

describe.each(PLATFORMS)('client script on %s: GET/HEAD /iris-ws.js', (platform) => {
  let running: RunningApp;

  beforeAll(async () => {
    running = await startAppOn(platform, { imports: [ClientScriptModule] });
  });

  afterAll(async () => {
    await running?.close();
  });

  it('without Accept-Encoding, serves the built file as it is, cacheable and revalidated', async () => {
    const answer = await exchange(running.port, 'GET');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(answer.headers['content-encoding']).toBeUndefined();
    expect(answer.headers['content-length']).toBe(String(file.length));
    expect(answer.body.equals(file)).toBe(true);
    expect(validators(answer)).toEqual({
      etag: expect.stringMatching(/^"[A-Za-z0-9_-]+"$/),
      vary: 'Accept-Encoding',
      'cache-control': 'no-cache',
    });
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    const lastModified = answer.headers['last-modified']!;
    expect(lastModified).toBe(statSync(SCRIPT_FILE).mtime.toUTCString());
  });

  it.each(ENCODINGS)(
    'sends $coding when asked, with its length and its own ETag, and it decodes to the exact file',
    async ({ coding, accept, decode }) => {
      const plain = await exchange(running.port, 'GET');
      const answer = await exchange(running.port, 'GET', { 'Accept-Encoding': accept });
      expect(answer.status).toBe(200);
      expect(answer.headers['content-encoding']).toBe(coding);
      expect(answer.headers['content-length']).toBe(String(answer.body.length));
      expect(answer.headers.vary).toBe('Accept-Encoding');
      expect(answer.body.length).toBeLessThan(file.length / 2);
      expect(decode(answer.body).equals(file)).toBe(true);
      expect(answer.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
      expect(answer.headers.etag).not.toBe(plain.headers.etag);
      // Computed once: the next answer carries the same bytes.
      const again = await exchange(running.port, 'GET', { 'Accept-Encoding': accept });
      expect([again.headers.etag, again.body.equals(answer.body)]).toEqual([
        answer.headers.etag,
        true,
      ]);
    },
  );

  it('honours q-values, * and identity;q=0, and falls back to identity', async () => {
    const cases: [string, string | undefined][] = [
      ['br;q=0.2, gzip;q=0.8', 'gzip'],
      ['gzip;q=0.5, br;q=0.6', 'br'],
      ['gzip;q=0.5, identity', undefined],
      ['br;q=0, *', 'gzip'],
      ['*;q=0', undefined],
      ['deflate, zstd', undefined],
      ['br;q=5, gzip;q=0.1', 'gzip'],
    ];
    for (const [accept, coding] of cases) {
      const answer = await exchange(running.port, 'GET', { 'Accept-Encoding': accept });
      expect([accept, answer.status, answer.headers['content-encoding']]).toEqual([
        accept,
        200,
        coding,
      ]);
    }
  });

  it.each([{ coding: 'identity', accept: 'identity' }, ...ENCODINGS])(
    'HEAD ($coding) answers the GET headers, Content-Length included, without a body',
    async ({ accept }) => {
      const get = await exchange(running.port, 'GET', { 'Accept-Encoding': accept });
      const head = await exchange(running.port, 'HEAD', { 'Accept-Encoding': accept });
      expect(head.status).toBe(200);
      expect(head.body.length).toBe(0);
      for (const name of [
        'content-type',
        'content-encoding',
        'content-length',
        'etag',
        'last-modified',
        'vary',
        'cache-control',
      ]) {
        expect([name, head.headers[name]]).toEqual([name, get.headers[name]]);
      }
      expect(head.headers['content-length']).toBe(String(get.body.length));
    },
  );

  it('If-None-Match with the tag of the chosen encoding answers 304 without a body', async () => {
    for (const accept of ['', 'gzip', 'br']) {
      const { headers } = await exchange(running.port, 'GET', { 'Accept-Encoding': accept });
      const etag = headers.etag!;
      for (const ifNoneMatch of [etag, `"other", ${etag}`, `W/${etag}`, '*']) {
        const fresh = await exchange(running.port, 'GET', {
          'Accept-Encoding': accept,
          'If-None-Match': ifNoneMatch,
        });
        expect([ifNoneMatch, fresh.status, fresh.body.length]).toEqual([ifNoneMatch, 304, 0]);
        expect(validators(fresh)).toEqual(validators({ ...fresh, headers }));
      }
      const head = await exchange(running.port, 'HEAD', {
        'Accept-Encoding': accept,
        'If-None-Match': etag,
      });
      expect([head.status, head.body.length]).toEqual([304, 0]);
    }
  });

  it('If-None-Match with the tag of another encoding, or another tag, gets the body', async () => {
    const gzip = await exchange(running.port, 'GET', { 'Accept-Encoding': 'gzip' });
    const asksBr = await exchange(running.port, 'GET', {
      'Accept-Encoding': 'br',
      'If-None-Match': gzip.headers.etag!,
    });
    expect([asksBr.status, asksBr.headers['content-encoding']]).toEqual([200, 'br']);
    expect(brotliDecompressSync(asksBr.body).equals(file)).toBe(true);
    const stale = await exchange(running.port, 'GET', { 'If-None-Match': '"not-the-tag"' });
    expect([stale.status, stale.body.equals(file)]).toEqual([200, true]);
  });

  it('If-Modified-Since at or after Last-Modified answers 304; an earlier date gets the script', async () => {
    const { headers } = await exchange(running.port, 'GET');
    const lastModified = headers['last-modified']!;
    const fresh = await exchange(running.port, 'GET', { 'If-Modified-Since': lastModified });
    expect([fresh.status, fresh.body.length]).toEqual([304, 0]);
    const earlier = new Date(Date.parse(lastModified) - 60_000).toUTCString();
    const stale = await exchange(running.port, 'GET', { 'If-Modified-Since': earlier });
    expect([stale.status, stale.body.equals(file)]).toEqual([200, true]);
    // If-None-Match decides when both are sent (RFC 9110 section 13.2.2).
    const tagged = await exchange(running.port, 'GET', {
      'If-None-Match': '"not-the-tag"',
      'If-Modified-Since': lastModified,
    });
    expect(tagged.status).toBe(200);
  });

  it('answers a hostile Accept-Encoding (12,000 characters) at once, with the plain file', async () => {
    const hostile = 'br;q=0.9, gzip;q=0.8, '.repeat(546);
    expect(hostile.length).toBeGreaterThan(12_000);
    const answer = await exchange(running.port, 'GET', { 'Accept-Encoding': hostile });
    expect([answer.status, answer.headers['content-encoding']]).toEqual([200, undefined]);
    expect(answer.body.equals(file)).toBe(true);
    expect(answer.elapsedMs).toBeLessThan(1000);
  });

  it('the body defines the global Ws, which speaks the Iris protocol to the WebSocket it opens', async () => {
    const { body } = await exchange(running.port, 'GET', { 'Accept-Encoding': 'br' });
    const context = browserContext({ WebSocket: FakeWebSocket });
    runInContext(brotliDecompressSync(body).toString('utf8'), context);
    expect(typeof context.Ws).toBe('function');
    expect(typeof context.WsRooms).toBe('object');

    FakeWebSocket.instances.length = 0;
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
    const { body } = await exchange(running.port, 'GET', { 'Accept-Encoding': 'gzip' });
    const context = browserContext({
      WebSocket,
      location: { protocol: 'http:', host: `127.0.0.1:${running.port}` },
    });
    runInContext(gunzipSync(body).toString('utf8'), context);
    const page = new context.Ws('/ws');
    try {
      const welcome = new Promise<string>((resolve) => page.On('welcome', resolve));
      const connected = new Promise<void>((resolve) => page.OnConnect(resolve));
      await withTimeout(connected, 3000, 'OnConnect');
      // The connection's id, whatever its format: this suite is about the script.
      expect(JSON.parse(await withTimeout(welcome, 3000, 'welcome')).id).toMatch(/^[\w-]{16,}$/);
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
