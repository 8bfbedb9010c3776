import { type ChildProcess, execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, killRedisChild, launchRedisServer, redisServerPath } from './redis-server';

/** Where to find `redis-cli`: `$REDIS_CLI`, else Debian's path (package redis-tools). */
export function redisCliPath(): string {
  const path = process.env.REDIS_CLI ?? '/usr/bin/redis-cli';
  if (!existsSync(path)) {
    throw new Error(
      `redis-cli not found at ${path}: install it (apt-get install -y redis-server, which brings redis-tools) or set REDIS_CLI`,
    );
  }
  return path;
}

/** One master of a {@link RedisClusterServer}. */
export interface ClusterMaster {
  readonly port: number;
  /** The process id while running. */
  readonly pid: number | undefined;
}

/** A real 3-master Redis Cluster (no replicas) of redis-server children on 127.0.0.1. */
export interface RedisClusterServer {
  readonly masters: readonly ClusterMaster[];
  /** `{ host, port }` of every master: what the store's `cluster.nodes` option takes. */
  readonly nodes: readonly { host: string; port: number }[];
  /** Runs a command on one master with redis-cli and returns its output (bounded). */
  cli(port: number, ...args: string[]): Promise<string>;
  /** SIGSTOP one master: its connections stay open, it answers nothing (keep it short of the node timeout, 2 s). */
  freeze(index: number): void;
  /** SIGCONT after {@link freeze}. */
  thaw(index: number): void;
  /** The port of the master that serves a slot, from `CLUSTER SLOTS` (bounded). */
  masterOf(slot: number): Promise<number>;
  /** SIGKILL one master and wait for its exit. */
  kill(index: number): Promise<void>;
  /**
   * Starts a killed master again on the same port with the same config file: it keeps its node id
   * and its slots. Waits (bounded) until every master reports `cluster_state:ok` again.
   */
  restart(index: number): Promise<void>;
  /** Kills every master and removes the temporary directory. */
  stop(): Promise<void>;
}

/**
 * Starts three `redis-server --cluster-enabled yes` children on free ports in a temporary
 * directory, joins them with `redis-cli --cluster create ... --cluster-replicas 0`, and waits
 * (bounded by `timeoutMs`) until all three say `cluster_state:ok`.
 */
export async function startRedisCluster(timeoutMs = 30_000): Promise<RedisClusterServer> {
  const binary = redisServerPath();
  const cli = redisCliPath();
  const dir = mkdtempSync(join(tmpdir(), 'ws-rooms-cluster-'));
  const children: (ChildProcess | null)[] = [];
  const ports: number[] = [];
  const deadline = Date.now() + timeoutMs;
  const run = (port: number, ...args: string[]) =>
    runCli(cli, ['-h', '127.0.0.1', '-p', String(port), ...args], remaining(deadline, 5000));
  try {
    for (let i = 0; i < 3; i++) {
      const { child, port } = await launchWithFreePort(binary, dir, remaining(deadline));
      children.push(child);
      ports.push(port);
    }
    await runCli(
      cli,
      [
        '--cluster',
        'create',
        ...ports.map((port) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      remaining(deadline),
    );
    await waitClusterOk(ports, run, deadline);
  } catch (error) {
    await Promise.all(children.map((child) => (child ? killRedisChild(child) : undefined)));
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const masters = ports.map((port, index) => ({
    port,
    get pid() {
      const child = children[index];
      return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
  }));
  return {
    masters,
    nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
    cli: (port, ...args) =>
      runCli(cli, ['-h', '127.0.0.1', '-p', String(port), ...args], timeoutMs),
    freeze: (index) => void children[index]?.kill('SIGSTOP'),
    thaw: (index) => void children[index]?.kill('SIGCONT'),
    masterOf: async (slot) => {
      const output = await runCli(
        cli,
        ['-h', '127.0.0.1', '-p', String(ports[0]), '--json', 'CLUSTER', 'SLOTS'],
        timeoutMs,
      );
      const ranges = JSON.parse(output) as [number, number, [string, number, ...unknown[]]][];
      const range = ranges.find(([from, to]) => from <= slot && slot <= to);
      if (range === undefined) throw new Error(`no master serves slot ${slot}:\n${output}`);
      return range[2][1];
    },
    kill: async (index) => {
      const child = children[index];
      if (child) await killRedisChild(child);
    },
    restart: async (index) => {
      const child = children[index];
      if (child) await killRedisChild(child);
      const until = Date.now() + timeoutMs;
      children[index] = await launch(binary, dir, ports[index], remaining(until));
      await waitClusterOk(
        ports,
        (port, ...args) =>
          runCli(cli, ['-h', '127.0.0.1', '-p', String(port), ...args], remaining(until, 5000)),
        until,
      );
    },
    stop: async () => {
      await Promise.all(children.map((child) => (child ? killRedisChild(child) : undefined)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Milliseconds left until the deadline (at least 1), capped at `cap`. */
function remaining(deadline: number, cap = Infinity): number {
  return Math.max(1, Math.min(cap, deadline - Date.now()));
}

/** Polls `CLUSTER INFO` on every master until all say `cluster_state:ok` (bounded by the deadline). */
async function waitClusterOk(
  ports: readonly number[],
  run: (port: number, ...args: string[]) => Promise<string>,
  deadline: number,
): Promise<void> {
  let last = '';
  while (Date.now() < deadline) {
    const infos = await Promise.all(
      ports.map((port) => run(port, 'CLUSTER', 'INFO').catch((error: Error) => error.message)),
    );
    if (infos.every((info) => info.includes('cluster_state:ok'))) return;
    last = infos.join('\n---\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the Redis Cluster did not reach cluster_state:ok in time:\n${last}`);
}

async function launchWithFreePort(
  binary: string,
  dir: string,
  timeoutMs: number,
): Promise<{ child: ChildProcess; port: number }> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    // The cluster bus listens on port + 10000: it must be free too.
    if (port + 10_000 > 65_535) continue;
    try {
      return { child: await launch(binary, dir, port, timeoutMs), port };
    } catch (error) {
      lastError = error; // most likely a port was taken meanwhile: try another
    }
  }
  throw lastError ?? new Error('no free port pair for a cluster node');
}

/** One cluster-enabled node, its config file in `dir` (a restart on the same port keeps its slots). */
function launch(
  binary: string,
  dir: string,
  port: number,
  timeoutMs: number,
): Promise<ChildProcess> {
  return launchRedisServer(binary, port, timeoutMs, [
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    join(dir, `nodes-${port}.conf`),
    '--cluster-node-timeout',
    '2000',
    '--dir',
    dir,
  ]);
}

function runCli(cli: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cli, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error)
        reject(new Error(`redis-cli ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}
