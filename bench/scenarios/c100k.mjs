/**
 * (e) Many connections on one node (issue 14, "100k connections on one node"): N connections
 * (`--c100k-n`, 20,000 by default, 100,000 for the figure; one case per value given) opened at once by several
 * generator processes and held, heartbeats on (every target pings each connection every
 * `--c100k-ping` ms, 25 s by default; the generators answer every ping). On each target:
 *
 * 1. connect: N / time from the first connect to the last open (socket.io: namespace joined);
 * 2. memory: RSS and heap + external after forced full GCs, minus the same figures of the empty
 *    server (after 200 connections opened and reset first), over N; the RSS at N and the peak RSS
 *    of the process so far;
 * 3. idle: the target's CPU (user + system, % of one core) over `--c100k-idle` ms (default one ping
 *    period, so every connection is pinged about once), and the pings the generators answered;
 * 4. broadcast: one client sends `all`; the server sends it to every connection, the sender
 *    included (ws-rooms: `to(All).emit`, socket.io: `server.emit`, raw-ws: one frame written to
 *    every socket). Each generator timestamps the first receipt on each of its connections; the
 *    figure is from the trigger (the sender's timestamp before its write) to the last receipt.
 *    `--c100k-broadcasts` of them, one after the other; the median is reported.
 *
 * The generators (loadgen/raw-clients.mjs) are raw sockets with a hand-written upgrade, so they
 * are cheap; each binds loopback source addresses of its own (127.0.0.2, ...), at most
 * `--c100k-per-source` connections each, so the ~28k ephemeral ports of one (source, destination)
 * pair do not cap N. Every connection ends with a reset (RST), so no TIME_WAIT is left behind; each
 * case takes fresh source addresses anyway. The orchestrator raises its own descriptor limit
 * before it starts any child (run.mjs), and the targets listen with a large backlog.
 */
import { sleep } from '../lib/clock.mjs';
import { createHistogram, merge, quantile } from '../lib/histogram.mjs';
import { counterDelta, listenCounters, machineLimits, SourceAddresses } from '../lib/limits.mjs';
import { median } from '../lib/report.mjs';
import { machineDelta, machineTicks, split, waitDrained } from './common.mjs';

const WARMUP_CONNECTIONS = 200;
const SETTLE_MS = 2000;
const BROADCAST_TIMEOUT_MS = 30_000;
const BROADCAST_GAP_MS = 1000;
const DRAIN_TIMEOUT_MS = 120_000;

const sources = new SourceAddresses(2);
/** The count: with several N measured below it, each target's figures are fitted to it. */
const GOAL_N = 100_000;

/** Least-squares line through `points` ([x, y], at least two distinct x): `{ a, b }`, y = a + b·x. */
export function linearFit(points) {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const b = sxy / sxx;
  return { a: my - b * mx, b };
}

/**
 * For each target measured at two or more N below GOAL_N: RSS, idle CPU and broadcast time as a
 * line in N (least squares over the medians per N), and the line's value at GOAL_N. An estimate
 * from the measured range, not a measurement.
 */
function extrapolations(runs, opts) {
  const lines = [];
  for (const target of opts.c100kTargets) {
    const byN = new Map();
    for (const r of runs.filter((x) => x.target === target && x.figures)) {
      if (!byN.has(r.figures.opened)) byN.set(r.figures.opened, []);
      byN.get(r.figures.opened).push(r.figures);
    }
    const ns = [...byN.keys()].sort((a, b) => a - b);
    if (ns.length < 2 || ns[ns.length - 1] >= GOAL_N) continue;
    const fit = (key) => linearFit(ns.map((n) => [n, median(byN.get(n).map((f) => f[key]))]));
    const rss = fit('rss');
    const cpu = fit('idleCpuPct');
    const bc = fit('bcastMs');
    const at = ({ a, b }) => a + b * GOAL_N;
    lines.push(
      `${target}, fitted over N = ${ns.join(', ')} and extrapolated to ${GOAL_N} (not measured): ` +
        `RSS ${(rss.a / 2 ** 20).toFixed(0)} MiB + ${(rss.b / 1024).toFixed(2)} KiB × N → ` +
        `${(at(rss) / 2 ** 30).toFixed(2)} GiB; idle CPU ${cpu.a.toFixed(2)}% + ${(cpu.b * 1e4).toFixed(2)}% per 10k → ` +
        `${at(cpu).toFixed(1)}%; broadcast to all ${bc.a.toFixed(0)} ms + ${(bc.b * 1e3).toFixed(1)} ms per 1k → ` +
        `${(at(bc) / 1e3).toFixed(2)} s.`,
    );
  }
  return lines;
}

/** Starts the target's CPU meter and the machine's; `stop()` returns both over the span. */
async function cpuSpan(target) {
  const m0 = machineTicks();
  await target.child.request('cpu-start', {}, 10_000);
  return {
    async stop() {
      const cpu = await target.child.request('cpu-stop', {}, 20_000);
      return { ...cpu, machine: machineDelta(m0, machineTicks()) };
    },
  };
}

const QUIET_BUSY_PCT = 20;
const QUIET_SAMPLE_MS = 2000;

/**
 * On a shared machine: waits, at most `maxSec`, until the whole machine's busy CPU over a 2 s
 * sample is below QUIET_BUSY_PCT of one core (our own processes are nearly idle at that point).
 * Returns the seconds waited and whether it gave up; the phase then runs anyway, and its other-CPU
 * figure tells how noisy it was.
 */
async function waitQuiet(maxSec) {
  if (!maxSec) return { waitedSec: 0, gaveUp: false };
  const start = Date.now();
  while (Date.now() - start < maxSec * 1e3) {
    const t0 = machineTicks();
    await sleep(QUIET_SAMPLE_MS);
    const { busyPct } = machineDelta(t0, machineTicks());
    if (!(busyPct >= QUIET_BUSY_PCT))
      return { waitedSec: (Date.now() - start) / 1e3, gaveUp: false };
  }
  return { waitedSec: (Date.now() - start) / 1e3, gaveUp: true };
}

const pct = (util) => util * 100;
const sumOf = (xs) => xs.reduce((a, b) => a + b, 0);
const genPct = (results) => results.map((r) => pct(r.cpu?.util ?? NaN));
const other = (span, gens) => Math.max(0, span.machine.busyPct - pct(span.util) - sumOf(gens));

export const c100k = {
  name: 'c100k',
  title:
    'Many connections on one node: connect rate, memory, idle CPU with heartbeats, one broadcast to all',
  kind: 'c100k',
  // Its own targets (--c100k-targets), started with the scenario's ping period.
  targets: (opts) => opts.c100kTargets,
  targetEnv: (opts) => ({ BENCH_PING_PERIOD_MS: String(opts.c100kPingMs) }),
  rounds: (opts) => opts.c100kRounds,
  // Memory per connection is a delta over the empty server: a fresh process per case, so the
  // heap left over by a previous (larger or smaller) case is not in either figure.
  freshTarget: true,
  caseTimeoutMs: (opts, params) =>
    (2 + opts.c100kBroadcasts) * opts.c100kQuietSec * 1e3 +
    120_000 +
    params.n * 3 +
    opts.c100kIdleMs +
    opts.c100kBroadcasts * (BROADCAST_TIMEOUT_MS + 10_000),
  cases(opts) {
    return opts.c100kN.map((n) => ({ id: `n${n}`, label: `${n} connections`, params: { n } }));
  },

  /** Lines printed under the table: the machine's limits and how the run dealt with them. */
  notes(runs, opts) {
    const f = runs.find((r) => r.figures)?.figures;
    const lim = opts.limits ?? f?.limits;
    const lines = [];
    if (opts.c100kCapNote) lines.push(`⚠ N capped: ${opts.c100kCapNote}.`);
    if (lim) {
      lines.push(
        `Limits: descriptors ${lim.nofile.soft} per process (raised by the bench: ${opts.nofileRaised ?? 'no'}; ` +
          `fs.nr_open ${lim.nrOpen}, fs.file-max ${lim.fileMax}); ephemeral ports ${lim.portRange} ` +
          `(${lim.ephemeralPorts} per source address; at most ${opts.c100kPerSource} used per address); ` +
          `net.core.somaxconn ${lim.somaxconn} (targets listen with backlog 65535, so ${lim.somaxconn} applies), ` +
          `tcp_max_syn_backlog ${lim.tcpMaxSynBacklog}; nf_conntrack_max ${lim.conntrackMax ?? '—'}.`,
      );
    }
    lines.push(
      `Heartbeats: every target pings each connection every ${opts.c100kPingMs / 1e3} s ` +
        `(ws-rooms \`pingPeriod\`, socket.io \`pingInterval\`, raw-ws a \`setInterval\` over \`wss.clients\`); ` +
        `the idle window is ${opts.c100kIdleMs / 1e3} s.`,
    );
    for (const r of runs.filter((x) => x.figures)) {
      const g = r.figures;
      const listen = g.listen ?? {};
      lines.push(
        `${r.target} at ${g.opened} (round ${r.round}): ${g.generatorProcs} generator processes, ` +
          `${g.sources.length} source addresses (${g.sources[0]}–${g.sources[g.sources.length - 1]}); ` +
          `connecting: server CPU ${Math.round(g.srvConnectCpuPct)}%, generators ${Math.round(g.genConnectPct)}% in all, other CPU ${Math.round(g.otherConnectPct)}%; ` +
          `listen overflows ${listen.listenOverflows ?? '—'}, drops ${listen.listenDrops ?? '—'}; ` +
          `pings answered in the idle window ${g.windowPings}; ` +
          `broadcasts ${g.bcastAllMs.map((v) => v.toFixed(0)).join(' / ')} ms ` +
          `(server CPU ${g.bcastSrvCpuMs.toFixed(0)} ms each, ${Math.round(g.bcastSrvSysShare * 100)}% of it system time; generators ${Math.round(g.genBcastPct)}% ` +
          `of a core in all, other CPU ${Math.round(g.otherBcastPct)}%, medians); ` +
          `all ${g.opened} reset and gone in ${g.drainSec.toFixed(1)} s` +
          (opts.c100kQuietSec
            ? `; waited ${Math.round(g.quietWaitSec)} s for a quiet machine` +
              (g.quietGaveUp ? ` (gave up ${g.quietGaveUp} time(s): noisy phase)` : '')
            : '') +
          '.',
      );
    }
    lines.push(...extrapolations(runs, opts));
    return lines;
  },

  async run({ target, params, opts, scope }) {
    const { n } = params;
    const url = new URL(target.url);
    const base = {
      kind: target.client,
      host: url.hostname,
      port: Number(url.port),
      path: url.pathname + url.search,
      concurrency: opts.c100kConcurrency,
    };
    const limits = machineLimits();

    // Lazily loaded code is not charged to the connections: open and reset a few first.
    const [warm] = await scope.spawn('c100k', [
      { ...base, count: WARMUP_CONNECTIONS, sources: sources.take(1) },
    ]);
    const warmed = await warm.request('connect', {}, 60_000);
    if (warmed.failed) throw new Error(`warm-up: ${warmed.failed} failed: ${warmed.firstError}`);
    await warm.request('reset');
    await warm.kill();
    await waitDrained(target, 60_000);
    const before = await target.child.request('mem', {}, 60_000);

    // N connections from several processes, each with source addresses of its own.
    const shares = split(n, opts.c100kProcs);
    const configs = shares.map((count) => ({
      ...base,
      count,
      sources: sources.take(Math.ceil(count / opts.c100kPerSource)),
    }));
    const gens = await scope.spawn('c100k', configs);
    const quiet = [await waitQuiet(opts.c100kQuietSec)];
    const listen0 = listenCounters();
    const connectSpan = await cpuSpan(target);
    const connected = await Promise.all(gens.map((g) => g.request('connect', {}, 60_000 + n * 2)));
    const connectCpu = await connectSpan.stop();
    const listen = counterDelta(listen0, listenCounters());
    const opened = sumOf(connected.map((r) => r.opened));
    const failed = sumOf(connected.map((r) => r.failed));
    if (failed > 0) {
      const why = connected.find((r) => r.firstError)?.firstError ?? '';
      throw new Error(`opened ${opened} of ${n}; ${failed} failed: ${why}`);
    }
    const startUs = Math.min(...connected.map((r) => r.startUs));
    const endUs = Math.max(...connected.map((r) => r.endUs));
    const genConnect = genPct(connected);

    const assertHeld = async (when) => {
      const st = await Promise.all(gens.map((g) => g.request('status', {}, 20_000)));
      const closed = sumOf(st.map((s) => s.closed));
      if (closed > 0) {
        const why = st.find((s) => s.closeReason)?.closeReason ?? '';
        throw new Error(`the target closed ${closed} of ${opened} connections ${when} (${why})`);
      }
      return st;
    };

    await sleep(SETTLE_MS);
    await assertHeld('after connecting');
    const serverConns = await target.child.request('conns', {}, 20_000);
    const after = await target.child.request('mem', {}, 60_000);

    // Idle, heartbeats on.
    quiet.push(await waitQuiet(opts.c100kQuietSec));
    await Promise.all(gens.map((g) => g.request('idle-start')));
    const idleSpan = await cpuSpan(target);
    await sleep(opts.c100kIdleMs);
    const idleCpu = await idleSpan.stop();
    const idle = await Promise.all(gens.map((g) => g.request('idle-stop', {}, 20_000)));
    const genIdle = genPct(idle);
    const windowPings = sumOf(idle.map((r) => r.windowPings));
    await assertHeld('in the idle window');

    // Broadcasts to all, one after the other.
    const bcast = [];
    for (let seq = 1; seq <= opts.c100kBroadcasts; seq++) {
      quiet.push(await waitQuiet(opts.c100kQuietSec));
      await Promise.all(gens.map((g) => g.request('expect', { seq })));
      const span = await cpuSpan(target);
      const { triggerUs } = await gens[0].request('trigger', { seq });
      const got = await Promise.all(
        gens.map((g) =>
          g.request('collect-broadcast', { triggerUs, timeoutMs: BROADCAST_TIMEOUT_MS }, 60_000),
        ),
      );
      const cpu = await span.stop();
      const received = sumOf(got.map((r) => r.got));
      const expected = sumOf(got.map((r) => r.expected));
      if (received < expected) {
        throw new Error(
          `broadcast ${seq}: ${received} of ${expected} connections received it within ${BROADCAST_TIMEOUT_MS} ms`,
        );
      }
      const hist = got.reduce((h, r) => merge(h, r.hist), createHistogram());
      bcast.push({
        lastMs: Math.max(...got.map((r) => r.lastUs)) / 1e3,
        p50Ms: quantile(hist, 0.5) / 1e3,
        p99Ms: quantile(hist, 0.99) / 1e3,
        srvCpuMs: (cpu.userUs + cpu.systemUs) / 1e3,
        srvSysShare: cpu.systemUs / (cpu.userUs + cpu.systemUs || 1),
        genMaxPct: Math.max(...genPct(got)),
        genPct: sumOf(genPct(got)),
        otherPct: other(cpu, genPct(got)),
      });
      await sleep(BROADCAST_GAP_MS);
    }
    await assertHeld('during the broadcasts');

    // Reset everything and wait, bounded, for the target to see every connection gone.
    const resetAt = Date.now();
    await Promise.all(gens.map((g) => g.request('reset', {}, 60_000)));
    await waitDrained(target, DRAIN_TIMEOUT_MS);
    const drainSec = (Date.now() - resetAt) / 1e3;

    const idleSec = idleCpu.wallUs / 1e6;
    return {
      n,
      opened,
      serverConns,
      generatorProcs: gens.length,
      sources: configs.flatMap((c) => c.sources),
      limits,
      listen,
      connectRate: opened / ((endUs - startUs) / 1e6),
      connectSec: (endUs - startUs) / 1e6,
      srvConnectCpuPct: pct(connectCpu.util),
      genConnectMaxPct: Math.max(...genConnect),
      genConnectPct: sumOf(genConnect),
      otherConnectPct: other(connectCpu, genConnect),
      rss: after.rss,
      maxRss: after.maxRss,
      heapUsed: after.heapUsed,
      rssPerConn: (after.rss - before.rss) / opened,
      heapPerConn: (after.heapUsed + after.external - (before.heapUsed + before.external)) / opened,
      before,
      after,
      idleCpuPct: pct(idleCpu.util),
      idleSysShare: idleCpu.systemUs / (idleCpu.userUs + idleCpu.systemUs || 1),
      windowPings,
      pingsPerSec: windowPings / idleSec,
      genIdlePct: sumOf(genIdle),
      otherIdlePct: other(idleCpu, genIdle),
      bcastMs: median(bcast.map((b) => b.lastMs)),
      bcastMaxMs: Math.max(...bcast.map((b) => b.lastMs)),
      bcastAllMs: bcast.map((b) => b.lastMs),
      bcastP50Ms: median(bcast.map((b) => b.p50Ms)),
      bcastP99Ms: median(bcast.map((b) => b.p99Ms)),
      bcastSrvCpuMs: median(bcast.map((b) => b.srvCpuMs)),
      bcastSrvSysShare: median(bcast.map((b) => b.srvSysShare)),
      genBcastMaxPct: Math.max(...bcast.map((b) => b.genMaxPct)),
      genBcastPct: median(bcast.map((b) => b.genPct)),
      otherBcastPct: median(bcast.map((b) => b.otherPct)),
      broadcasts: bcast,
      drainSec,
      quietWaitSec: sumOf(quiet.map((q) => q.waitedSec)),
      quietGaveUp: quiet.filter((q) => q.gaveUp).length,
    };
  },
};
