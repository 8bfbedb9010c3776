/** Helpers shared by the scenarios: load-generator processes, target CPU, figures. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startChild } from '../lib/children.mjs';
import { nowUs, sleep } from '../lib/clock.mjs';
import { createHistogram, merge, quantile } from '../lib/histogram.mjs';

/**
 * The load generators of one case. The orchestrator kills them when the case ends, whether it
 * succeeded, failed or timed out.
 */
export class CaseScope {
  constructor(root) {
    this.root = root;
    this.workers = [];
    this.closed = false;
  }

  /** Starts one generator process per config and resolves once all of them are loaded. */
  async spawn(role, configs) {
    // A case that timed out keeps running in the background; it must not start new processes.
    if (this.closed) throw new Error('case already ended');
    const file = path.join(this.root, 'bench', 'loadgen', 'worker.mjs');
    const workers = configs.map((cfg, i) => {
      const w = startChild(`gen:${role}#${i + 1}`, file, {
        cwd: this.root,
        args: [role, JSON.stringify(cfg)],
      });
      this.workers.push(w);
      return w;
    });
    await Promise.all(workers.map((w) => w.next('loaded', 20_000)));
    return workers;
  }

  async close() {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.kill()));
    this.workers = [];
  }
}

/** Splits `total` into `parts` near-equal positive shares. */
export function split(total, parts) {
  const n = Math.max(1, Math.min(parts, total));
  return Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
}

export function sleepUntil(us) {
  return sleep(Math.max(0, (us - nowUs()) / 1e3));
}

/** Machine-wide CPU counters (Linux /proc/stat, in clock ticks), or undefined elsewhere. */
export function machineTicks() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = f.map(Number);
    const busy = user + nice + system + irq + softirq;
    return { busy, steal, total: busy + idle + iowait + steal };
  } catch {
    return undefined;
  }
}

/** Busy and stolen CPU of the whole machine between two samples, in % of one core. */
export function machineDelta(a, b) {
  if (!a || !b || b.total <= a.total) return { busyPct: NaN, stealPct: NaN };
  const scale = (os.cpus().length * 100) / (b.total - a.total);
  return { busyPct: (b.busy - a.busy) * scale, stealPct: (b.steal - a.steal) * scale };
}

/**
 * The target's CPU use over [fromUs, toUs), as reported by the target itself, and the whole
 * machine's over the same window (what is left after the target and the generators is other
 * load: another job on the box, the kernel's network softirq threads, this orchestrator).
 */
export async function targetCpu(target, fromUs, toUs) {
  await sleepUntil(fromUs);
  const m0 = machineTicks();
  await target.child.request('cpu-start', {}, 10_000);
  await sleepUntil(toUs);
  const cpu = await target.child.request('cpu-stop', {}, 20_000);
  return { ...cpu, machine: machineDelta(m0, machineTicks()) };
}

/** Waits (bounded) until the target has no TCP connection left. */
export async function waitDrained(target, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let n = -1;
  while (Date.now() < deadline) {
    n = await target.child.request('conns', {}, 10_000);
    if (n === 0) return;
    await sleep(50);
  }
  throw new Error(`${target.name} still has ${n} connections ${timeoutMs} ms after the case`);
}

/**
 * Fails the case when the target closed any of the generators' connections or lost messages:
 * figures from a target that sheds load would look better than they are.
 */
export function assertHealthy(results, stalls = 0) {
  const closed = results.reduce((a, r) => a + (r.closed ?? 0), 0);
  if (closed > 0) {
    const reason = results.find((r) => r.closeReason)?.closeReason ?? '';
    throw new Error(`the target closed ${closed} connection(s) during the case (${reason})`);
  }
  if (stalls > 0) throw new Error(`${stalls} message(s) never answered (lost by the target?)`);
  if (results.reduce((a, r) => a + r.count, 0) === 0) {
    throw new Error('no message arrived in the measured window');
  }
}

/** Throughput, latency and CPU figures of one windowed measurement. */
export function loadFigures({ results, serverCpu, durationMs, perUnit = 'msg' }) {
  const hist = createHistogram();
  let count = 0;
  for (const r of results) {
    merge(hist, r.hist);
    count += r.count;
  }
  const seconds = durationMs / 1e3;
  const genUtil = results.map((r) => r.cpu?.util ?? NaN);
  const known = genUtil.filter((u) => Number.isFinite(u));
  const serverCpuMs = serverCpu.util * durationMs;
  const genCpuPct = known.reduce((a, b) => a + b, 0) * 100;
  const ms = (us) => (us === undefined ? NaN : us / 1e3);
  return {
    unit: perUnit,
    count,
    rate: count / seconds,
    p50: ms(quantile(hist, 0.5)),
    p90: ms(quantile(hist, 0.9)),
    p99: ms(quantile(hist, 0.99)),
    p999: ms(quantile(hist, 0.999)),
    serverCpuPct: serverCpu.util * 100,
    serverSysShare: serverCpu.systemUs / (serverCpu.userUs + serverCpu.systemUs),
    serverCpuPer1k: count > 0 ? serverCpuMs / (count / 1e3) : NaN,
    genCpuPct,
    genCpuMaxPct: known.length ? Math.max(...known) * 100 : NaN,
    genCpuPerProcPct: genUtil.map((u) => u * 100),
    machineBusyPct: serverCpu.machine.busyPct,
    otherCpuPct: Math.max(0, serverCpu.machine.busyPct - serverCpu.util * 100 - genCpuPct),
    stealPct: serverCpu.machine.stealPct,
  };
}
