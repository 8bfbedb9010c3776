/**
 * The served script as a browser sees it: `scripts/build-client.mjs` builds into a temporary folder,
 * then `iris-ws.js` runs in a fresh `node:vm` context that has only what a page has (no `require`,
 * no `process`, no `Buffer`), with a fake `window` whose WebSocket the test scripts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createContext, runInContext } from 'node:vm';
import { createFakeWebSocket, type FakeWebSocketKit } from './testing/fake-websocket';

const ROOT = path.resolve(__dirname, '../../../..');
const P = 'iris-websocket-message:';

interface PageWindow {
  window?: PageWindow;
  Ws?: new (url: string) => {
    On(event: string, fn: (message: string) => void): void;
    Emit(event: string, value: unknown): void;
  };
  WsRooms?: {
    WsRoomsClient: new (
      url: string,
      options?: { recovery?: boolean },
    ) => {
      state: string;
      id: string | undefined;
      on(event: string, fn: (value: unknown) => void): void;
      emit(event: string, value: unknown): void;
      request(event: string, value: unknown): Promise<unknown>;
      onRequest(event: string, fn: (value: unknown) => unknown): void;
      onRecovery(fn: (result: { status: string }) => void): void;
      presence(room: string): { id: string; meta: Record<string, unknown> }[];
      close(): void;
    };
    WsRoomsClientErrorCode: Record<string, string>;
  };
}

describe('the browser bundle (iris-ws.js)', () => {
  let outDir: string;
  let script: string;

  beforeAll(() => {
    outDir = mkdtempSync(path.join(tmpdir(), 'ws-rooms-client-'));
    execFileSync(
      process.execPath,
      [path.join(ROOT, 'scripts/build-client.mjs'), '--out-dir', outDir],
      {
        cwd: ROOT,
        timeout: 30_000,
        stdio: 'pipe',
      },
    );
    script = readFileSync(path.join(outDir, 'iris-ws.js'), 'utf8');
  });

  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
  });

  function loadPage(): { page: PageWindow; kit: FakeWebSocketKit } {
    const kit = createFakeWebSocket();
    const page: PageWindow & Record<string, unknown> = {
      WebSocket: kit.WebSocket,
      TextEncoder,
      TextDecoder,
      setTimeout,
      clearTimeout,
      location: { protocol: 'https:', host: 'example.com' },
    };
    page.window = page;
    createContext(page);
    runInContext(script, page, { filename: 'iris-ws.js', timeout: 5000 });
    return { page, kit };
  }

  it('starts with the banner and uses nothing from Node', () => {
    expect(script.startsWith('/*! ws-rooms')).toBe(true);
    expect(script).not.toMatch(/\brequire\(|\bBuffer\b|\bprocess\./);
  });

  it('defines window.Ws, working as an Iris page expects', () => {
    const { page, kit } = loadPage();
    expect(typeof page.Ws).toBe('function');
    const Ws = page.Ws as NonNullable<PageWindow['Ws']>;
    const ws = new Ws('/echo');
    expect(kit.last.url).toBe('wss://example.com/echo');
    const messages: string[] = [];
    ws.On('chat', (message) => messages.push(message));
    kit.last.acceptOpen();
    ws.Emit('chat', true);
    kit.last.receive(`${P}chat;4;{"a":1}`);
    expect(kit.last.sent).toEqual([`${P}chat;2;true`]);
    expect(messages).toEqual(['{"a":1}']);
  });

  it('defines window.WsRooms with the modern client', () => {
    const { page, kit } = loadPage();
    const WsRooms = page.WsRooms as NonNullable<PageWindow['WsRooms']>;
    expect(WsRooms.WsRoomsClientErrorCode.BufferFull).toBe('WS_ROOMS_CLIENT_BUFFER_FULL');
    const client = new WsRooms.WsRoomsClient('/chat');
    const values: unknown[] = [];
    client.on('chat', (value) => values.push(value));
    kit.last.acceptOpen();
    expect(client.state).toBe('open');
    kit.last.receive(`${P}chat;4;{"a":1}`);
    kit.last.receive(new TextEncoder().encode(`${P}chat;1;7`).buffer);
    expect(values).toEqual([{ a: 1 }, 7]);
    client.close();
  });

  it('exposes requests, presence and recovery on the modern client', async () => {
    const { page, kit } = loadPage();
    const WsRooms = page.WsRooms as NonNullable<PageWindow['WsRooms']>;
    expect(WsRooms.WsRoomsClientErrorCode.RequestTimeout).toBe('WS_ROOMS_CLIENT_REQUEST_TIMEOUT');
    const client = new WsRooms.WsRoomsClient('/chat?x=1', { recovery: true });
    expect(kit.last.url).toBe('wss://example.com/chat?x=1&ws-rooms-recovery=1');
    const statuses: string[] = [];
    client.onRecovery((result) => statuses.push(result.status));
    const blobs: unknown[] = [];
    client.on('blob', (value) => blobs.push(value));
    client.onRequest('ping', (value) => `pong ${String(value)}`);
    kit.last.acceptOpen();
    kit.last.receive(`${P}ws-rooms:session;4;{"id":"me","token":"t","offset":5,"recovered":false}`);
    expect(statuses).toEqual(['fresh']);
    expect(client.id).toBe('me');

    // A wrapped binary broadcast with bytes that are not UTF-8, twice: delivered once, intact.
    const head = new TextEncoder().encode(`${P}ws-rooms:m;0;6;${P}blob;3;`);
    const frame = new Uint8Array(head.length + 3);
    frame.set(head);
    frame.set([0xff, 0x3b, 0x80], head.length);
    kit.last.receive(frame.slice().buffer);
    kit.last.receive(frame.slice().buffer);
    expect(blobs.map((bytes) => Array.from(bytes as Uint8Array))).toEqual([[0xff, 0x3b, 0x80]]);

    kit.last.receive(`${P}ws-rooms:presence;4;{"room":"lobby","members":[{"id":"me","meta":{}}]}`);
    expect(client.presence('lobby')).toEqual([{ id: 'me', meta: {} }]);

    const reply = client.request('add', [1, 2]);
    expect(kit.last.sent).toEqual([`${P}ws-rooms:req;4;{"id":1,"event":"add","value":[1,2]}`]);
    kit.last.receive(`${P}ws-rooms:res;4;{"id":1,"value":3}`);
    await expect(reply).resolves.toBe(3);

    kit.last.receive(`${P}ws-rooms:req;4;{"id":9,"event":"ping","value":1}`);
    await Promise.resolve();
    await Promise.resolve();
    expect(kit.last.sent[1]).toBe(`${P}ws-rooms:res;4;{"id":9,"value":"pong 1"}`);
    client.close();
  });

  it('also emits the ES module of the modern client', () => {
    const module = path.join(outDir, 'ws-rooms-client.mjs');
    const exported = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(module)}); console.log(Object.keys(m).sort().join(','))`,
      ],
      { timeout: 10_000, encoding: 'utf8' },
    );
    expect(exported.trim().split(',')).toEqual(
      expect.arrayContaining(['WsRoomsClient', 'Ws', 'ClientCodec']),
    );
  });
});
