/**
 * The servers under test. Each runs in its own process (TypeScript through @swc-node/register,
 * which emits decorator metadata from the root tsconfig.json), with `--expose-gc` for the memory
 * figures and NODE_ENV=production, and reports its port over IPC once listening on 127.0.0.1.
 */
import path from 'node:path';
import { startChild } from './children.mjs';
import { processCpuUs, startRedisServer } from './redis-server.mjs';

export const TARGETS = {
  // The baseline: each message framed once and the same bytes written to every client, one
  // write per message per socket — the practical limit of plain `ws` code on Node.
  'raw-ws': { file: 'raw-ws.ts', client: 'ws', path: '/ws' },
  // raw-ws plus per-turn write coalescing (cork/uncork), the technique ws-rooms uses: a harder bar.
  'raw-ws-corked': {
    file: 'raw-ws.ts',
    client: 'ws',
    path: '/ws',
    env: { BENCH_RAW_WS_BATCH: '1' },
  },
  'raw-ws-naive': { file: 'raw-ws-naive.ts', client: 'ws', path: '/ws' },
  'platform-ws': { file: 'platform-ws.ts', client: 'ws', path: '/ws' },
  socketio: { file: 'socketio.ts', client: 'socket.io', path: '' },
  'ws-rooms': { file: 'ws-rooms.ts', client: 'ws', path: '/ws' },
  // Missed-message recovery on (in memory), and every client opted in: each broadcast is logged
  // with an offset and reaches the clients wrapped with it. Compare with `socketio-recovery`.
  'ws-rooms-recovery': {
    file: 'ws-rooms.ts',
    client: 'ws',
    path: '/ws?ws-rooms-recovery=1',
    env: { BENCH_RECOVERY: '1' },
  },
  // socket.io's connection state recovery (`connectionStateRecovery`, in-memory adapter).
  'socketio-recovery': {
    file: 'socketio.ts',
    client: 'socket.io',
    path: '',
    env: { BENCH_RECOVERY: '1' },
  },
  // Two ws-rooms processes sharing rooms through one redis-server (RedisRoomStore): the cross-node
  // scenario puts the sender on the first node and the receivers on the second.
  'ws-rooms-redis': { file: 'ws-rooms.ts', client: 'ws', path: '/ws', nodes: 2, redis: true },
  // ws-rooms-redis with recovery on (the Redis log) and every client opted in: each broadcast is
  // numbered and logged by a script in Redis, and every node, the sender's included, delivers it
  // when it comes back on the log channel.
  'ws-rooms-redis-recovery': {
    file: 'ws-rooms.ts',
    client: 'ws',
    path: '/ws?ws-rooms-recovery=1',
    env: { BENCH_RECOVERY: '1' },
    nodes: 2,
    redis: true,
  },
  // socket.io's peers over Redis: two processes with @socket.io/redis-streams-adapter (one Redis
  // stream carries every broadcast; each node reads it), without and with connection state
  // recovery (which needs that adapter, or the in-memory one, to keep offsets).
  'socketio-redis': { file: 'socketio.ts', client: 'socket.io', path: '', nodes: 2, redis: true },
  'socketio-redis-recovery': {
    file: 'socketio.ts',
    client: 'socket.io',
    path: '',
    env: { BENCH_RECOVERY: '1' },
    nodes: 2,
    redis: true,
  },
  // The refactor check (issue 12): the ws-rooms target of another checkout of this repository, at
  // BENCH_BEFORE_ROOT (a git worktree of the commit before the split), run by this harness.
  'ws-rooms-before': {
    file: 'ws-rooms.ts',
    client: 'ws',
    path: '/ws',
    root: () => process.env.BENCH_BEFORE_ROOT,
  },
};

// The scaleout scenario's targets: K processes of ws-rooms-scaleout.ts sharing one redis-server.
for (let k = 1; k <= 8; k++) {
  TARGETS[`ws-rooms-x${k}`] = {
    file: 'ws-rooms-scaleout.ts',
    client: 'ws',
    path: '/ws',
    nodes: k,
    redis: true,
  };
}

// raw-ws-naive (stringify and send per client) is available with --targets; the default run keeps
// to the peers plus the corked reference, within the 10-minute budget.
export const DEFAULT_TARGETS = ['raw-ws', 'raw-ws-corked', 'platform-ws', 'socketio', 'ws-rooms'];

export const BASELINE = 'raw-ws';

/**
 * The targets a scenario runs on: its own list (fixed, or a function of the options) whatever
 * --targets says, or else --targets.
 */
export function targetsOf(scenario, opts) {
  if (typeof scenario.targets === 'function') return scenario.targets(opts);
  return scenario.targets ?? opts.targets;
}
const STARTUP_TIMEOUT_MS = 60_000;

/** Starts one server process of target `name` and resolves once it listens. */
async function startNode(name, spec, ownRoot, env = {}) {
  const root = spec.root ? spec.root() : ownRoot;
  if (!root) throw new Error(`${name}: no root (set BENCH_BEFORE_ROOT to a checkout)`);
  const child = startChild(name, path.join(root, 'bench', 'targets', spec.file), {
    cwd: root,
    execArgv: ['--expose-gc', '-r', '@swc-node/register'],
    env: { NODE_ENV: 'production', ...spec.env, ...env },
  });
  try {
    const ready = await child.next('ready', STARTUP_TIMEOUT_MS);
    const scheme = spec.client === 'ws' ? 'ws' : 'http';
    return {
      name,
      child,
      port: ready.port,
      pid: ready.pid,
      client: spec.client,
      url: `${scheme}://127.0.0.1:${ready.port}${spec.path}`,
    };
  } catch (err) {
    await child.kill();
    throw err;
  }
}

/**
 * Several nodes and their redis-server seen as one target by the orchestrator: `exitInfo` is set
 * once any of them is gone, `kill()` ends them all, `conns` is the sum over the nodes, and
 * `cpu-start`/`cpu-stop` measure every node (summed: `util` is the cluster's server CPU) plus the
 * redis-server, read from /proc/<pid>/stat, reported apart as `redis`. Other requests go to the
 * first node.
 */
class ClusterChild {
  constructor(name, nodes, redis) {
    this.name = name;
    this.nodes = nodes;
    this.redis = redis;
    this.redisMark = undefined;
  }

  get exitInfo() {
    const gone = [...this.nodes.map((n) => n.child), this.redis.child].find((c) => c.exitInfo);
    return gone ? `${gone.name} ${gone.exitInfo}` : undefined;
  }

  async request(cmd, args = {}, timeoutMs = 10_000) {
    const all = () => Promise.all(this.nodes.map((n) => n.child.request(cmd, args, timeoutMs)));
    if (cmd === 'conns') return (await all()).reduce((a, n) => (a < 0 || n < 0 ? -1 : a + n), 0);
    if (cmd === 'cpu-start') {
      this.redisMark = { cpu: processCpuUs(this.redis.pid), wall: process.hrtime.bigint() };
      await all();
      return null;
    }
    if (cmd === 'cpu-stop') {
      const perNode = await all();
      const cpu = processCpuUs(this.redis.pid);
      const wallUs = Number(process.hrtime.bigint() - this.redisMark.wall) / 1e3;
      const redisUs =
        cpu.userUs - this.redisMark.cpu.userUs + (cpu.systemUs - this.redisMark.cpu.systemUs);
      const sum = (key) => perNode.reduce((a, r) => a + r[key], 0);
      return {
        userUs: sum('userUs'),
        systemUs: sum('systemUs'),
        wallUs: Math.max(...perNode.map((r) => r.wallUs)),
        util: sum('util'),
        perNode,
        redis: { cpuUs: redisUs, wallUs, util: redisUs / wallUs },
      };
    }
    return this.nodes[0].child.request(cmd, args, timeoutMs);
  }

  async kill() {
    await Promise.all([...this.nodes.map((n) => n.child.kill()), this.redis.child.kill()]);
  }
}

/**
 * Starts target `name` (with `extraEnv` added to its environment, e.g. the ping period of the
 * c100k scenario) and resolves once it listens: `{ name, child, port, url, client }`; a
 * multi-node target also has `nodes` (one such object per process, `url` is the first's) and
 * `redis` (`{ pid, port, url }`).
 */
export async function startTarget(name, root, extraEnv = {}) {
  const spec = TARGETS[name];
  if (!spec) throw new Error(`unknown target ${name}`);
  if (!spec.nodes) return startNode(name, spec, root, extraEnv);
  const redis = await startRedisServer();
  const nodes = [];
  try {
    const starts = Array.from({ length: spec.nodes }, (_, i) =>
      startNode(`${name}#${i + 1}`, spec, root, { ...extraEnv, BENCH_REDIS_URL: redis.url }).then(
        (n) => {
          nodes.push(n);
          return n;
        },
      ),
    );
    // Wait for every start, so none is left half-started when another one failed.
    const settled = await Promise.allSettled(starts);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const started = settled.map((r) => r.value); // in node order, node 1 first
    return {
      ...started[0],
      name,
      nodes: started,
      redis,
      child: new ClusterChild(name, started, redis),
    };
  } catch (err) {
    await Promise.all([...nodes.map((n) => n.child.kill()), redis.child.kill()]);
    throw err;
  }
}
