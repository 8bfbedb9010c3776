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
                        ws-rooms whatever --targets says) needs redis-server
  --warmup=500          ms of load before each measured window
  --duration=1500       ms of each measured window
  --fanout-n=100,1000   room sizes for fan-out
  --sizes=64,1024       payload sizes (bytes after "chat;0;") for fan-out
  --window=auto         fan-out messages in flight (auto: ~800 deliveries in flight, min 2)
  --crossnode-n=100,1000  room sizes for cross-node fan-out
  --crossnode-sizes=64  payload sizes for cross-node fan-out
  --recv-per-proc=500   fan-out receivers per load-generator process
  --reqrep-clients=50   request/reply clients
  --idle-n=5000         idle connections
  --idle-procs=4        load-generator processes for idle connections
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
  window: 'auto',
  'recv-per-proc': 500,
  'reqrep-clients': 50,
  'idle-n': 5000,
  'idle-procs': 4,
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
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
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
    window: raw.window === 'auto' ? 'auto' : int('window', raw.window, 1),
    recvPerProc: int('recv-per-proc', raw['recv-per-proc'], 1),
    reqrepClients: int('reqrep-clients', raw['reqrep-clients'], 1),
    idleN: int('idle-n', raw['idle-n'], 1),
    idleProcs: int('idle-procs', raw['idle-procs'], 1),
    budgetSec: int('budget', raw.budget, 0),
    out: String(raw.out),
  };
}
