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
import { parseOptions, USAGE } from './lib/options.mjs';
import { errorLine, renderMarkdown, summarize } from './lib/report.mjs';
import { BASELINE, startTarget } from './lib/targets.mjs';
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
  if (scenario === 'idle') {
    return (
      `${Math.round(f.connectRate)} conn/s, heap+ext ${(f.heapPerConn / 1024).toFixed(1)} KiB/conn, ` +
      `rss ${(f.rssPerConn / 1024).toFixed(1)} KiB/conn (${f.opened} open)`
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
  fitToLimits(opts);

  const started = Date.now();
  const runs = [];
  log(
    `bench: ${opts.rounds} round(s); targets ${opts.targets.join(', ')}; ` +
      `scenarios ${scenarios
        .map((s) => (s.targets ? `${s.name} (on ${s.targets.join(', ')})` : s.name))
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
    const ensure = async (name) => {
      const t = live.get(name);
      if (t && !t.child.exitInfo) return t;
      if (startupErrors.has(name)) throw startupErrors.get(name);
      try {
        const fresh = await startTarget(name, ROOT);
        live.set(name, fresh);
        return fresh;
      } catch (err) {
        startupErrors.set(name, err);
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
      // A scenario with its own target list (crossnode) rotates it the same way.
      const names = scenario.targets ? rotate(scenario.targets, round - 1) : order;
      for (const c of scenario.cases(opts)) {
        for (const name of names) {
          const record = { round, scenario: scenario.name, case: c.id, target: name };
          const scope = new CaseScope(ROOT);
          const label = `[round ${round}/${opts.rounds} ${((Date.now() - started) / 1e3).toFixed(0)}s] ${scenario.name} ${c.label} ${name}`;
          let target;
          try {
            target = await ensure(name);
            const figures = await withTimeout(
              scenario.run({ root: ROOT, target, params: c.params, opts, scope }),
              CASE_TIMEOUT_MS,
              `${scenario.name} ${c.label} on ${name}`,
            );
            record.figures = figures;
            log(`${label}: ${brief(scenario.name, figures)}`);
          } catch (err) {
            record.error = String(err?.message ?? err);
            log(`${label}: FAILED ${errorLine(record.error)}`);
          } finally {
            await scope.close();
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
