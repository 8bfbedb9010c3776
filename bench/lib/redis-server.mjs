/**
 * A throw-away redis-server for the cross-node scenario: a child process on 127.0.0.1 and a free
 * port, without persistence, tracked with the other children so it is killed when the run ends
 * (normal exit, error or Ctrl-C). Start-up waits, bounded, for "Ready to accept connections".
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { adopt } from './children.mjs';

const STARTUP_TIMEOUT_MS = 10_000;
// Linux reports /proc/<pid>/stat times in clock ticks; USER_HZ is 100 on every common build.
const TICK_US = 10_000;

export function redisServerPath() {
  const file = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';
  if (!existsSync(file)) {
    throw new Error(
      `redis-server not found at ${file}: install it or set REDIS_SERVER to its path`,
    );
  }
  return file;
}

/** A port that was free a moment ago (the OS picks it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function launch(binary, port, timeoutMs) {
  const proc = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const child = adopt('redis-server', proc);
  let output = '';
  const ready = new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        proc.stdout.off('data', onData);
        resolve();
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', (chunk) => (output += chunk.toString()));
    proc.once('error', reject);
    child.exited.then(() =>
      reject(new Error(`redis-server exited before it was ready:\n${output}`)),
    );
  });
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`redis-server not ready within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([ready, timeout]);
    return child;
  } catch (err) {
    await child.kill();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts redis-server on a free 127.0.0.1 port: `{ child, pid, port, url }`. Retries on another
 * port if the one picked was taken in between.
 */
export async function startRedisServer(timeoutMs = STARTUP_TIMEOUT_MS) {
  const binary = redisServerPath();
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      const child = await launch(binary, port, timeoutMs);
      return { child, pid: child.proc.pid, port, url: `redis://127.0.0.1:${port}` };
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

/** User and system CPU time of a process so far, in µs, from /proc/<pid>/stat (NaN elsewhere). */
export function processCpuUs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its ')' are fixed: utime is
    // field 14 and stime field 15 of the whole line.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { userUs: Number(fields[11]) * TICK_US, systemUs: Number(fields[12]) * TICK_US };
  } catch {
    return { userUs: NaN, systemUs: NaN };
  }
}
