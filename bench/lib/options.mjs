/**
 * Command-line options, each also settable as an environment variable
 * (`--idle-n=2000` is `BENCH_IDLE_N=2000`); flags win over the environment.
 */
import { DEFAULT_TARGETS, TARGETS } from './targets.mjs';

export const USAGE = `usage: node bench/run.mjs [options]
  --quick               1 round, short durations, (cross-node) fan-out N=100 only, 1,000 idle
  --rounds=3            interleaved rounds; figures are medians over rounds
  --targets=a,b         default ${DEFAULT_TARGETS.join(',')}
                        (also: ${Object.keys(TARGETS)
                          .filter((t) => !DEFAULT_TARGETS.includes(t))
                          .join(',')})
  --scenarios=a,b       idle,reqrep,fanout,crossnode (run in that order in each round);
                        crossnode (cross-node fan-out over Redis, on ws-rooms-redis and
                        ws-rooms whatever --targets says) needs redis-server;
                        c100k (many held connections, heartbeats, broadcast to all; on
                        --c100k-targets whatever --targets says) and scaleout (1 to 6 nodes
                        over one redis-server, 1 to 10,000 rooms) are not in the default run
  --warmup=500          ms of load before each measured window
  --duration=1500       ms of each measured window
  --fanout-n=100,1000   room sizes for fan-out
  --sizes=64,1024       payload sizes (bytes after "chat;0;") for fan-out
  --window=auto         fan-out messages in flight (auto: ~800 deliveries in flight, min 2)
  --crossnode-n=100,1000  room sizes for cross-node fan-out
  --crossnode-sizes=64  payload sizes for cross-node fan-out
  --crossnode-targets=ws-rooms,ws-rooms-redis,ws-rooms-redis-recovery,socketio-redis,socketio-redis-recovery
                        cross-node targets (ws-rooms, single node, is the reference)
  --scaleout-nodes=1,2,4,6  scaleout: node counts of the one-room case
  --scaleout-members=240    scaleout: members of that room, spread evenly over the nodes
  --scaleout-rooms=1,100,10000  scaleout: room counts of the rooms cases
  --scaleout-rooms-nodes=4  scaleout: nodes of the rooms cases
  --scaleout-per-node=250   scaleout: connections per node in the rooms cases
  --recv-per-proc=500   fan-out receivers per load-generator process
  --reqrep-clients=50   request/reply clients
  --idle-n=5000         idle connections
  --idle-procs=4        load-generator processes for idle connections
  --c100k-n=20000       c100k: connections held, one case per value (the issue's figure:
                        --c100k-n=100000; several, e.g. 5000,10000,19000, also give a linear fit)
  --c100k-targets=ws-rooms,raw-ws,socketio  c100k: its targets
  --c100k-procs=4       c100k: load-generator processes
  --c100k-concurrency=128  c100k: handshakes in flight per generator process
  --c100k-per-source=20000 c100k: most connections per loopback source address
  --c100k-ping=25000    c100k: ping period (ms) of every target (BENCH_PING_PERIOD_MS)
  --c100k-idle=25000    c100k: ms of the idle-CPU window (one ping period: every connection pinged)
  --c100k-broadcasts=3  c100k: broadcasts to all, one after the other (median reported)
  --c100k-rounds=1      c100k: rounds it runs in (the first ones)
  --c100k-quiet=0       c100k: before each measured phase, wait up to this many seconds for
                        the machine to be quiet (busy < 20% of a core over 2 s); 0: no wait
  --budget=570          seconds; no new round starts when it would likely end past this (0: off)
  --out=bench/results   where the JSON and markdown results go
Every option can also be given as BENCH_<NAME> (e.g. BENCH_ROUNDS=5, BENCH_QUICK=1).`;

const DEFAULTS = {
  quick: false,
  rounds: 3,
  targets: DEFAULT_TARGETS.join(','),
  scenarios: 'idle,reqrep,fanout,crossnode',
  warmup: 500,
  duration: 1500,
  'fanout-n': '100,1000',
  sizes: '64,1024',
  'crossnode-n': '100,1000',
  'crossnode-sizes': '64',
  'crossnode-targets':
    'ws-rooms,ws-rooms-redis,ws-rooms-redis-recovery,socketio-redis,socketio-redis-recovery',
  'scaleout-nodes': '1,2,4,6',
  'scaleout-members': 240,
  'scaleout-rooms': '1,100,10000',
  'scaleout-rooms-nodes': 4,
  'scaleout-per-node': 250,
  window: 'auto',
  'recv-per-proc': 500,
  'reqrep-clients': 50,
  'idle-n': 5000,
  'idle-procs': 4,
  'c100k-n': 20000,
  'c100k-targets': 'ws-rooms,raw-ws,socketio',
  'c100k-procs': 4,
  'c100k-concurrency': 128,
  'c100k-per-source': 20000,
  'c100k-ping': 25000,
  'c100k-idle': 25000,
  'c100k-broadcasts': 3,
  'c100k-rounds': 1,
  'c100k-quiet': 0,
  budget: 570,
  out: 'bench/results',
};

const QUICK = {
  rounds: 1,
  warmup: 300,
  duration: 800,
  'fanout-n': '100',
  'crossnode-n': '100',
  'idle-n': 1000,
  'idle-procs': 2,
  'c100k-n': 2000,
  'c100k-procs': 2,
  'c100k-ping': 5000,
  'c100k-idle': 5000,
};

function fromEnv(env) {
  const out = {};
  for (const key of Object.keys(DEFAULTS)) {
    const value = env[`BENCH_${key.toUpperCase().replaceAll('-', '_')}`];
    if (value !== undefined && value !== '') out[key] = value;
  }
  return out;
}

function fromArgv(argv) {
  const out = {};
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') {
      out.help = true;
      continue;
    }
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
    if (!m || !(m[1] in DEFAULTS)) throw new Error(`unknown option ${arg}\n${USAGE}`);
    out[m[1]] = m[2] ?? true;
  }
  return out;
}

const list = (v) =>
  String(v)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function int(name, v, min) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return n;
}

const truthy = (v) => v === true || /^(1|true|yes)$/i.test(String(v));

export function parseOptions(argv, env) {
  const given = { ...fromEnv(env), ...fromArgv(argv) };
  const quick = truthy(given.quick ?? false);
  const raw = { ...DEFAULTS, ...(quick ? QUICK : {}), ...given, quick };
  const targets = list(raw.targets);
  for (const t of targets) if (!TARGETS[t]) throw new Error(`unknown target ${t}\n${USAGE}`);
  const scenarios = list(raw.scenarios);
  const c100kTargets = list(raw['c100k-targets']);
  const crossnodeTargets = list(raw['crossnode-targets']);
  for (const t of [...c100kTargets, ...crossnodeTargets]) {
    if (!TARGETS[t]) throw new Error(`unknown target ${t}\n${USAGE}`);
  }
  const nodeCount = (name, v) => {
    const k = int(name, v, 1);
    if (!TARGETS[`ws-rooms-x${k}`]) throw new Error(`--${name}: at most 8 nodes`);
    return k;
  };
  return {
    help: Boolean(given.help),
    quick,
    rounds: int('rounds', raw.rounds, 1),
    targets,
    scenarios,
    warmupMs: int('warmup', raw.warmup, 0),
    durationMs: int('duration', raw.duration, 100),
    fanoutN: list(raw['fanout-n']).map((v) => int('fanout-n', v, 2)),
    sizes: list(raw.sizes).map((v) => int('sizes', v, 17)),
    crossnodeN: list(raw['crossnode-n']).map((v) => int('crossnode-n', v, 2)),
    crossnodeSizes: list(raw['crossnode-sizes']).map((v) => int('crossnode-sizes', v, 17)),
    crossnodeTargets,
    scaleoutNodes: list(raw['scaleout-nodes']).map((v) => nodeCount('scaleout-nodes', v)),
    scaleoutMembers: int('scaleout-members', raw['scaleout-members'], 8),
    scaleoutRooms: list(raw['scaleout-rooms']).map((v) => int('scaleout-rooms', v, 1)),
    scaleoutRoomsNodes: nodeCount('scaleout-rooms-nodes', raw['scaleout-rooms-nodes']),
    scaleoutPerNode: int('scaleout-per-node', raw['scaleout-per-node'], 1),
    window: raw.window === 'auto' ? 'auto' : int('window', raw.window, 1),
    recvPerProc: int('recv-per-proc', raw['recv-per-proc'], 1),
    reqrepClients: int('reqrep-clients', raw['reqrep-clients'], 1),
    idleN: int('idle-n', raw['idle-n'], 1),
    idleProcs: int('idle-procs', raw['idle-procs'], 1),
    c100kN: list(raw['c100k-n']).map((v) => int('c100k-n', v, 1)),
    c100kTargets,
    c100kProcs: int('c100k-procs', raw['c100k-procs'], 1),
    c100kConcurrency: int('c100k-concurrency', raw['c100k-concurrency'], 1),
    c100kPerSource: int('c100k-per-source', raw['c100k-per-source'], 100),
    c100kPingMs: int('c100k-ping', raw['c100k-ping'], 1000),
    c100kIdleMs: int('c100k-idle', raw['c100k-idle'], 1000),
    c100kBroadcasts: int('c100k-broadcasts', raw['c100k-broadcasts'], 1),
    c100kRounds: int('c100k-rounds', raw['c100k-rounds'], 1),
    c100kQuietSec: int('c100k-quiet', raw['c100k-quiet'], 0),
    budgetSec: int('budget', raw.budget, 0),
    out: String(raw.out),
  };
}
