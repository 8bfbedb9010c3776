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
    WsRoomsClient: new (url: string) => {
      state: string;
      on(event: string, fn: (value: unknown) => void): void;
      emit(event: string, value: unknown): void;
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
