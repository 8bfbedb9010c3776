import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ProtocolClient, withTimeout } from '../support/protocol-client';
import { tcpConnectOutcome } from '../support/raw-socket';

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

/** Starts the demo (`src/main.ts`) and waits for its "chat demo on" line (bounded). */
async function startDemo(timeoutMs = 30_000): Promise<Demo> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1' };
  env.NO_COLOR = '1';
  delete env.REDIS_URL;
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  try {
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        const onData = () => {
          if (!output.includes(`chat demo on http://127.0.0.1:${port}`)) return;
          child.stdout!.off('data', onData);
          resolve();
        };
        child.stdout!.on('data', onData);
        void exited.then(({ code, signal }) =>
          reject(new Error(`the demo exited (${code ?? signal}) before it was ready:\n${output}`)),
        );
      }),
      timeoutMs,
      'the demo to start',
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { child, port, output: () => output, exited };
}

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
