#!/usr/bin/env node
/**
 * ws-rooms benchmark suite: `npm run bench` (or `node bench/run.mjs --help`).
 *
 * Each target is a server in its own process; load generators are other processes. Targets are
 * interleaved case by case within each round (A B C D, A B C D, ...), the starting target
 * rotating per round, so slow drifts of a noisy machine hit all targets alike; the report gives
 * medians over rounds. Progress goes to stderr, the markdown table to stdout, and both JSON and
 * markdown to bench/results/.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installExitHandlers, killAll } from './lib/children.mjs';
import { withTimeout } from './lib/clock.mjs';
import { hasSysResource, machineLimits, raiseNofile } from './lib/limits.mjs';
import { parseOptions, USAGE } from './lib/options.mjs';
import { errorLine, renderMarkdown, summarize } from './lib/report.mjs';
import { BASELINE, startTarget, targetsOf } from './lib/targets.mjs';
import { CaseScope, waitDrained } from './scenarios/common.mjs';
import { SCENARIOS } from './scenarios/index.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CASE_TIMEOUT_MS = 180_000;
const log = (...args) => console.error(...args);

/** Soft limit on open files of this process (inherited by its children), if known. */
function openFileLimit() {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.split(/\s+/)[3]);
    return Number.isFinite(soft) ? soft : Infinity;
  } catch {
    return Infinity;
  }
}

function ephemeralPorts() {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    return hi - lo + 1;
  } catch {
    return Infinity;
  }
}

/**
 * The c100k scenario holds N connections in one target process and N / procs in each generator:
 * this process raises its own descriptor limit (prlimit, as root) before it forks any child, and
 * the children inherit it. Nothing system-wide is changed. When it cannot (no CAP_SYS_RESOURCE,
 * or fs.nr_open), every N above what the limit allows is lowered to it, with a warning that
 * stays in the report.
 */
function fitC100k(opts) {
  const MARGIN = 1000; // descriptors of a target besides its connections (and then some)
  const asked = Math.max(...opts.c100kN);
  const want = asked + MARGIN;
  const nrOpen = machineLimits().nrOpen ?? Infinity;
  const r = raiseNofile(Math.min(want, nrOpen));
  if (r.after.soft > r.before.soft) {
    opts.nofileRaised = `${r.before.soft} → ${r.after.soft} (prlimit on the orchestrator, inherited)`;
    log(`bench: descriptor limit raised ${opts.nofileRaised}`);
  }
  if (r.after.soft < want) {
    const cap = Math.max(1, r.after.soft - MARGIN);
    const cause =
      want > nrOpen
        ? `fs.nr_open is ${nrOpen}`
        : hasSysResource() === false
          ? `this process lacks CAP_SYS_RESOURCE (dropped by its container, even as root), so ` +
            `the hard limit ${r.after.hard} cannot be raised: ${r.error ?? 'prlimit refused'}`
          : (r.error ?? 'prlimit refused');
    opts.c100kRequested = [...opts.c100kN];
    opts.c100kN = [...new Set(opts.c100kN.map((n) => Math.min(n, cap)))];
    opts.c100kCapNote =
      `asked for ${asked} connections, but one process may open at most ${r.after.soft} ` +
      `descriptors here (${cause}); every N above ${cap} was lowered to ${cap}`;
    log(`bench: WARNING c100k ${opts.c100kCapNote}.`);
  }
  opts.limits = machineLimits();
  const l = opts.limits;
  log(
    `bench: c100k limits: nofile ${l.nofile.soft}, ephemeral ports ${l.portRange} ` +
      `(${l.ephemeralPorts}), somaxconn ${l.somaxconn}, tcp_max_syn_backlog ${l.tcpMaxSynBacklog}`,
  );
  if (l.ephemeralPorts && opts.c100kPerSource > l.ephemeralPorts - 1000) {
    opts.c100kPerSource = Math.max(100, l.ephemeralPorts - 1000);
    log(`bench: c100k uses at most ${opts.c100kPerSource} connections per source address`);
  }
}

/** Lowers connection counts that this machine's limits cannot hold; raises nothing. */
function fitToLimits(opts) {
  const files = openFileLimit();
  const ports = ephemeralPorts();
  const cap = Math.min(files - 200, ports - 2000);
  const lower = (what, n) => {
    if (n <= cap) return n;
    log(
      `bench: WARNING ${what}=${n} exceeds this machine's limits (ulimit -n ${files}, ` +
        `${ports} ephemeral ports); using ${cap}. Nothing system-wide is changed.`,
    );
    return Math.max(1, cap);
  };
  opts.idleN = lower('idle connections', opts.idleN);
  opts.fanoutN = opts.fanoutN.map((n) => lower('fan-out N', n));
  opts.crossnodeN = opts.crossnodeN.map((n) => lower('cross-node N', n));
}

function rotate(list, by) {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

function brief(scenario, f) {
  if (scenario === 'c100k') {
    const mib = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;
    return (
      `${f.opened} held, ${Math.round(f.connectRate)} conn/s (gen max ${Math.round(f.genConnectMaxPct)}%), ` +
      `rss ${mib(f.rss)} (peak ${mib(f.maxRss)}, ${(f.rssPerConn / 1024).toFixed(1)} KiB/conn), ` +
      `heap+ext ${(f.heapPerConn / 1024).toFixed(1)} KiB/conn, idle CPU ${f.idleCpuPct.toFixed(1)}% ` +
      `(${Math.round(f.pingsPerSec)} pings/s, other ${Math.round(f.otherIdlePct)}%), ` +
      `broadcast to all ${f.bcastAllMs.map((v) => v.toFixed(0)).join('/')} ms ` +
      `(gen max ${Math.round(f.genBcastMaxPct)}%)`
    );
  }
  if (scenario === 'idle') {
    return (
      `${Math.round(f.connectRate)} conn/s, heap+ext ${(f.heapPerConn / 1024).toFixed(1)} KiB/conn, ` +
      `rss ${(f.rssPerConn / 1024).toFixed(1)} KiB/conn (${f.opened} open)`
    );
  }
  if (scenario === 'scaleout') {
    return (
      `${Math.round(f.bcastRate)} bcast/s, ${Math.round(f.perNodeRate)} deliveries/s per node, ` +
      `node CPU ${f.nodeCpuPer1kBcast.toFixed(1)} ms/1k bcast (${Math.round(f.nodeCpuMeanPct)}% each), ` +
      `redis ${f.redisCpuPer1kBcast.toFixed(2)} ms/1k bcast (${Math.round(f.redisCpuPct)}%, ` +
      `${f.redisChannels} channels), p50 ${f.p50.toFixed(2)} ms, p99 ${f.p99.toFixed(2)} ms, ` +
      `gen max ${Math.round(f.genCpuMaxPct)}%, other ${Math.round(f.otherCpuPct)}%`
    );
  }
  const redis = Number.isFinite(f.redisCpuPct)
    ? `, redis ${f.redisCpuPer1k.toFixed(2)} ms/1k (${Math.round(f.redisCpuPct)}%)`
    : '';
  return (
    `${Math.round(f.rate)} msg/s, p50 ${f.p50.toFixed(2)} ms, p99 ${f.p99.toFixed(2)} ms, ` +
    `srv ${f.serverCpuPer1k.toFixed(2)} ms/1k (${Math.round(f.serverCpuPct)}%), ` +
    `gen max ${Math.round(f.genCpuMaxPct)}%, other ${Math.round(f.otherCpuPct)}%${redis}`
  );
}

async function main() {
  const opts = parseOptions(process.argv.slice(2), process.env);
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  const scenarios = opts.scenarios.map((name) => {
    const s = SCENARIOS.find((x) => x.name === name);
    if (!s) throw new Error(`unknown scenario ${name}\n${USAGE}`);
    return s;
  });
  // Registry order, whatever the order given on the command line.
  scenarios.sort((a, b) => SCENARIOS.indexOf(a) - SCENARIOS.indexOf(b));
  installExitHandlers();
  if (scenarios.some((s) => s.name === 'c100k')) fitC100k(opts);
  fitToLimits(opts);
  // Scenarios that run in their first rounds only (c100k): no empty rounds after them.
  if (scenarios.every((s) => s.rounds)) {
    opts.rounds = Math.min(opts.rounds, Math.max(...scenarios.map((s) => s.rounds(opts))));
  }

  const started = Date.now();
  const runs = [];
  log(
    `bench: ${opts.rounds} round(s); targets ${opts.targets.join(', ')}; ` +
      `scenarios ${scenarios
        .map((s) => (s.targets ? `${s.name} (on ${targetsOf(s, opts).join(', ')})` : s.name))
        .join(', ')}`,
  );
  if (!opts.targets.includes(BASELINE)) log(`bench: no ${BASELINE} in --targets: no ratios`);

  let roundsDone = 0;
  for (let round = 1; round <= opts.rounds; round++) {
    const elapsed = (Date.now() - started) / 1e3;
    if (opts.budgetSec && roundsDone > 0 && elapsed + elapsed / roundsDone > opts.budgetSec) {
      log(
        `bench: WARNING stopping after ${roundsDone} round(s): another would end past the ` +
          `${opts.budgetSec} s budget (--budget)`,
      );
      break;
    }
    const order = rotate(opts.targets, round - 1);
    const live = new Map();
    const startupErrors = new Map();
    // A scenario with its own environment for the targets (c100k: the ping period) gets its own
    // instances of them.
    const ensure = async (name, env) => {
      const key = env ? `${name} ${JSON.stringify(env)}` : name;
      const t = live.get(key);
      if (t && !t.child.exitInfo) return t;
      if (startupErrors.has(key)) throw startupErrors.get(key);
      try {
        const fresh = await startTarget(name, ROOT, env);
        live.set(key, fresh);
        return fresh;
      } catch (err) {
        startupErrors.set(key, err);
        log(`bench: target ${name} failed to start: ${errorLine(err.message)}`);
        throw err;
      }
    };

    // Targets of --targets start up front when a scenario uses them; a scenario's own targets
    // (crossnode) start when first needed.
    if (scenarios.some((s) => !s.targets)) {
      for (const name of order) await ensure(name).catch(() => {});
    }
    for (const scenario of scenarios) {
      if (scenario.rounds && round > scenario.rounds(opts)) continue;
      // A scenario with its own target list (crossnode, c100k) rotates it the same way.
      const names = scenario.targets ? rotate(targetsOf(scenario, opts), round - 1) : order;
      const env = scenario.targetEnv?.(opts);
      for (const c of scenario.cases(opts)) {
        // A case may run on some of its scenario's targets only (scaleout).
        for (const name of c.targets ? names.filter((n) => c.targets.includes(n)) : names) {
          const record = { round, scenario: scenario.name, case: c.id, target: name };
          const scope = new CaseScope(ROOT);
          const label = `[round ${round}/${opts.rounds} ${((Date.now() - started) / 1e3).toFixed(0)}s] ${scenario.name} ${c.label} ${name}`;
          let target;
          try {
            target = await ensure(name, env);
            const figures = await withTimeout(
              scenario.run({ root: ROOT, target, params: c.params, opts, scope }),
              scenario.caseTimeoutMs?.(opts, c.params) ?? CASE_TIMEOUT_MS,
              `${scenario.name} ${c.label} on ${name}`,
            );
            record.figures = figures;
            log(`${label}: ${brief(scenario.name, figures)}`);
          } catch (err) {
            record.error = String(err?.message ?? err);
            log(`${label}: FAILED ${errorLine(record.error)}`);
          } finally {
            await scope.close();
            // A scenario that measures an empty server first (c100k) gets a fresh process per case.
            if (scenario.freshTarget && target && !target.child.exitInfo) await target.child.kill();
            if (target && !target.child.exitInfo) {
              await waitDrained(target).catch(async (err) => {
                // A target that cannot shed its connections would skew the next case: restart it.
                log(`bench: ${err.message}; restarting ${name}`);
                await target.child.kill();
              });
            }
          }
          runs.push(record);
        }
      }
    }
    await Promise.all([...live.values()].map((t) => t.child.kill()));
    roundsDone++;
  }

  const elapsedSec = (Date.now() - started) / 1e3;
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model?.trim() ?? 'unknown',
    platform: `${os.platform()} ${os.release()}`,
    rounds: roundsDone,
    roundsRequested: opts.rounds,
    warmupMs: opts.warmupMs,
    durationMs: opts.durationMs,
    elapsedSec,
  };
  const summary = summarize(runs, scenarios, opts);
  const markdown = renderMarkdown(summary, meta);
  const outDir = path.resolve(ROOT, opts.out);
  mkdirSync(outDir, { recursive: true });
  const stamp = meta.date.replace(/[:.]/g, '-');
  const json = JSON.stringify({ meta, options: opts, summary, runs }, null, 2);
  for (const name of [`bench-${stamp}`, 'latest']) {
    writeFileSync(path.join(outDir, `${name}.json`), json);
    writeFileSync(path.join(outDir, `${name}.md`), markdown);
  }
  console.log(markdown);
  log(`bench: done in ${elapsedSec.toFixed(0)} s; results in ${path.relative(ROOT, outDir)}/`);
}

main()
  .catch((err) => {
    log(`bench: ${err?.stack ?? err}`);
    process.exitCode = 1;
  })
  .finally(killAll);
