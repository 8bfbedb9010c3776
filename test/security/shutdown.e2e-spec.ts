import { type ChildProcess, spawn } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { ProtocolClient, withTimeout } from '../support/protocol-client';
import { httpExchange, tcpConnectOutcome } from '../support/raw-socket';
import { PLATFORMS } from '../support/test-app';

const ROOT = join(__dirname, '..', '..');

/** A port that was free a moment ago (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Demo {
  readonly child: ChildProcess;
  readonly port: number;
  /** Everything the process wrote so far. */
  output(): string;
  /** Resolves with how the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs a TypeScript entry point in a child process and waits (bounded) until its output matches
 * `ready`, whose first group, if any, is the port it listens on.
 */
async function startProcess(
  script: string,
  env: NodeJS.ProcessEnv,
  ready: (output: string) => RegExpExecArray | null,
  timeoutMs = 30_000,
): Promise<Demo> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, NO_COLOR: '1' };
  delete childEnv.REDIS_URL;
  const child = spawn(process.execPath, ['-r', '@swc-node/register', script], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let port = Number(env.PORT ?? 0);
  try {
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        const onData = () => {
          const match = ready(output);
          if (match === null) return;
          if (match[1] !== undefined) port = Number(match[1]);
          child.stdout!.off('data', onData);
          resolve();
        };
        child.stdout!.on('data', onData);
        void exited.then(({ code, signal }) =>
          reject(new Error(`${script} exited (${code ?? signal}) before it was ready:\n${output}`)),
        );
      }),
      timeoutMs,
      `${script} to start`,
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { child, port, output: () => output, exited };
}

/** Starts the demo (`src/main.ts`) and waits for its "chat demo on" line (bounded). */
async function startDemo(): Promise<Demo> {
  const port = await freePort();
  return startProcess('src/main.ts', { PORT: String(port), HOST: '127.0.0.1' }, (output) =>
    new RegExp(`chat demo on http://127\\.0\\.0\\.1:${port}`).exec(output),
  );
}

/** The closeTimeout of the fixture: the bound of the cases below is this plus 2 s. */
const FIXTURE_CLOSE_TIMEOUT = 1000;

/** Starts `shutdown.fixture.ts` on a platform (its authenticate hangs for `X-Hang: 1`). */
function startFixture(platform: string): Promise<Demo> {
  return startProcess(
    'test/security/shutdown.fixture.ts',
    { PLATFORM: platform, CLOSE_TIMEOUT: String(FIXTURE_CLOSE_TIMEOUT) },
    (output) => /^ready (\d+)$/m.exec(output),
  );
}

/** Waits (bounded) until the process has printed `text`. */
function waitForOutput(demo: Demo, text: string, timeoutMs = 5000): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve) => {
      const check = (): void => {
        if (!demo.output().includes(text)) return;
        demo.child.stdout!.off('data', check);
        resolve();
      };
      demo.child.stdout!.on('data', check);
      check();
    }),
    timeoutMs,
    `the process to print "${text}"`,
  );
}

/** A TCP connection to the port that sent `text` and nothing more; its close is awaited. */
async function partialRequest(
  port: number,
  text: string,
): Promise<{
  socket: Socket;
  received: () => string;
  closed: Promise<void>;
}> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await withTimeout(
    new Promise<void>((resolve) => socket.once('connect', () => resolve())),
    3000,
    'TCP connect',
  );
  socket.write(text);
  return { socket, received: () => received, closed };
}

/** Signals SIGTERM and resolves with how the process ended and how long it took (bounded). */
async function terminate(
  demo: Demo,
  timeoutMs: number,
): Promise<{ exit: { code: number | null; signal: NodeJS.Signals | null }; tookMs: number }> {
  const signalledAt = performance.now();
  demo.child.kill('SIGTERM');
  const exit = await withTimeout(demo.exited, timeoutMs, 'the process to exit');
  return { exit, tookMs: performance.now() - signalledAt };
}

/** Nest's enableShutdownHooks() re-raises the signal after the hooks; `useProcessExit` exits 0. */
const CLEAN_EXITS = [
  { code: 0, signal: null },
  { code: null, signal: 'SIGTERM' },
];

describe.each(PLATFORMS)(
  'shutdown on SIGTERM ends within closeTimeout + 2 s whatever is left open (%s)',
  (platform) => {
    let fixture: Demo | undefined;
    const sockets: Socket[] = [];

    afterEach(async () => {
      for (const socket of sockets.splice(0)) socket.destroy();
      if (
        fixture !== undefined &&
        fixture.child.exitCode === null &&
        fixture.child.signalCode === null
      ) {
        fixture.child.kill('SIGKILL');
        await fixture.exited;
      }
      fixture = undefined;
    });

    it('an incomplete HTTP request head is destroyed by the deadline', async () => {
      fixture = await startFixture(platform);
      const stalled = await partialRequest(fixture.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      sockets.push(stalled.socket);
      // A whole request on another connection is answered after the server read the stalled bytes.
      await httpExchange(fixture.port, 'GET', '/nothing-here');
      const { exit, tookMs } = await terminate(fixture, FIXTURE_CLOSE_TIMEOUT + 10_000);
      expect(CLEAN_EXITS).toContainEqual(exit);
      expect(tookMs).toBeLessThan(FIXTURE_CLOSE_TIMEOUT + 2000);
      await withTimeout(stalled.closed, 3000, 'the stalled socket to be closed');
      expect(fixture.output()).not.toMatch(/Error during shutdown|ERROR/);
    }, 60_000);

    it('an upgrade whose authenticate never settles is answered 503 and the process exits', async () => {
      fixture = await startFixture(platform);
      const hanging = await partialRequest(
        fixture.port,
        'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Hang: 1\r\n\r\n',
      );
      sockets.push(hanging.socket);
      await waitForOutput(fixture, 'authenticating');
      const { exit, tookMs } = await terminate(fixture, FIXTURE_CLOSE_TIMEOUT + 10_000);
      expect(CLEAN_EXITS).toContainEqual(exit);
      expect(tookMs).toBeLessThan(FIXTURE_CLOSE_TIMEOUT + 2000);
      await withTimeout(hanging.closed, 3000, 'the hanging upgrade to be closed');
      expect(hanging.received()).toMatch(/^HTTP\/1\.1 503 /);
      expect(fixture.output()).not.toMatch(/Error during shutdown|ERROR/);
    }, 60_000);
  },
);

describe('graceful shutdown of the demo process on SIGTERM', () => {
  let demo: Demo | undefined;
  const clients: ProtocolClient[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.ws.terminate();
    if (demo !== undefined && demo.child.exitCode === null && demo.child.signalCode === null) {
      demo.child.kill('SIGKILL');
      await demo.exited;
    }
    demo = undefined;
  });

  it('both clients get close 1001, the process ends on its own within the bound, the port refuses', async () => {
    demo = await startDemo();
    const url = `ws://127.0.0.1:${demo.port}/my_endpoint`;
    for (let i = 0; i < 2; i++) {
      const client = await ProtocolClient.connect(url);
      clients.push(client);
      // The demo puts every connection in room1 and announces the count: the client is in.
      await client.nextEvent('members', 5000);
    }
    const signalledAt = Date.now();
    demo.child.kill('SIGTERM');
    const closes = await Promise.all(clients.map((client) => client.waitClose(10_000)));
    expect(closes).toEqual([
      { code: 1001, reason: 'server shutting down' },
      { code: 1001, reason: 'server shutting down' },
    ]);
    const exit = await withTimeout(demo.exited, 10_000, 'the demo to exit');
    const tookMs = Date.now() - signalledAt;
    // Nest's enableShutdownHooks() runs the hooks, then re-raises the signal (exit by SIGTERM);
    // with { useProcessExit: true } it would exit 0. Exit code 1 is its "error during shutdown".
    expect([
      { code: 0, signal: null },
      { code: null, signal: 'SIGTERM' },
    ]).toContainEqual(exit);
    expect(demo.output()).not.toMatch(/Error during shutdown|ERROR/);
    // The disconnect hooks ran (the gateway logs each disconnect) before the process ended.
    expect(demo.output().match(/has been disconnected!/g)).toHaveLength(2);
    // Clients answered the close at once: no wait for closeTimeout (5 s).
    expect(tookMs).toBeLessThan(5000);
    expect(await tcpConnectOutcome(demo.port)).toBe('ECONNREFUSED');
  }, 60_000);
});
