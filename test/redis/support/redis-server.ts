import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

/** Where to find `redis-server`: `$REDIS_SERVER`, else Debian's path. */
export function redisServerPath(): string {
  const path = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';
  if (!existsSync(path)) {
    throw new Error(
      `redis-server not found at ${path}: install it (apt-get install -y redis-server) or set REDIS_SERVER to its path`,
    );
  }
  return path;
}

/** A real redis-server child process on 127.0.0.1, without persistence. */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** The process id while running. */
  readonly pid: number | undefined;
  /** Kills it (SIGKILL: no goodbye to clients) and waits for the exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port (after {@link kill}). */
  restart(): Promise<void>;
  /** SIGSTOP: connections stay open, nothing is answered. */
  freeze(): void;
  /** SIGCONT after {@link freeze}. */
  thaw(): void;
}

/** Starts redis-server on a free port and waits for "Ready to accept connections" (bounded). */
export async function startRedisServer(timeoutMs = 10_000): Promise<RedisServer> {
  const binary = redisServerPath();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      let child = await launchRedisServer(binary, port, timeoutMs);
      return {
        port,
        url: `redis://127.0.0.1:${port}`,
        get pid() {
          return child.exitCode === null && child.signalCode === null ? child.pid : undefined;
        },
        kill: () => killRedisChild(child),
        freeze: () => void child.kill('SIGSTOP'),
        thaw: () => void child.kill('SIGCONT'),
        restart: async () => {
          await killRedisChild(child);
          child = await launchRedisServer(binary, port, timeoutMs);
        },
      };
    } catch (error) {
      lastError = error; // most likely the port was taken between freePort() and the bind: try another
    }
  }
  throw lastError;
}

/** A port that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
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

/**
 * Starts `redis-server` on 127.0.0.1:`port` without persistence, with `extraArgs` (e.g. cluster
 * mode), and resolves once it accepts connections (bounded by `timeoutMs`).
 */
export function launchRedisServer(
  binary: string,
  port: number,
  timeoutMs: number,
  extraArgs: readonly string[] = [],
): Promise<ChildProcess> {
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      ...extraArgs,
      '--save',
      '',
      '--appendonly',
      'no',
      '--loglevel',
      'notice',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`redis-server on port ${port} not ready within ${timeoutMs} ms:\n${output}`),
      );
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `redis-server on port ${port} exited (${code ?? signal}) before it was ready:\n${output}`,
        ),
      );
    });
  });
}

/** Kills a redis-server child (a frozen one too) and resolves once it has exited. */
export function killRedisChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  });
}
