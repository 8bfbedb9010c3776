/**
 * The machine's limits on connection counts (Linux /proc), and raising this process' own
 * descriptor limit, which the children it forks afterwards inherit. Nothing system-wide is
 * changed here.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

function read(file) {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function num(file) {
  const v = Number(read(file));
  return Number.isFinite(v) ? v : undefined;
}

/** Soft and hard RLIMIT_NOFILE of this process (Infinity when unlimited or unknown). */
export function nofile() {
  const line = read('/proc/self/limits')
    ?.split('\n')
    .find((l) => l.startsWith('Max open files'));
  const [soft, hard] = (line?.split(/\s+/).slice(3, 5) ?? []).map((v) =>
    v === 'unlimited' ? Infinity : Number(v),
  );
  return {
    soft: Number.isFinite(soft) ? soft : Infinity,
    hard: Number.isFinite(hard) ? hard : Infinity,
  };
}

/** Local ports the kernel hands out to outgoing connections (ip_local_port_range). */
export function ephemeralRange() {
  const [lo, hi] = (read('/proc/sys/net/ipv4/ip_local_port_range') ?? '').split(/\s+/).map(Number);
  return Number.isFinite(lo) && Number.isFinite(hi) ? { lo, hi, count: hi - lo + 1 } : undefined;
}

/** Whether this process has CAP_SYS_RESOURCE (needed to raise a hard limit), if known. */
export function hasSysResource() {
  const line = read('/proc/self/status')
    ?.split('\n')
    .find((l) => l.startsWith('CapEff:'));
  if (!line) return undefined;
  const CAP_SYS_RESOURCE = 24n;
  return ((BigInt(`0x${line.split(/\s+/)[1]}`) >> CAP_SYS_RESOURCE) & 1n) === 1n;
}

/** The sysctls that bound how many connections one machine can open and accept. */
export function machineLimits() {
  const range = ephemeralRange();
  return {
    nofile: nofile(),
    nrOpen: num('/proc/sys/fs/nr_open'),
    fileMax: num('/proc/sys/fs/file-max'),
    portRange: range ? `${range.lo}-${range.hi}` : undefined,
    ephemeralPorts: range?.count,
    somaxconn: num('/proc/sys/net/core/somaxconn'),
    tcpMaxSynBacklog: num('/proc/sys/net/ipv4/tcp_max_syn_backlog'),
    conntrackMax: num('/proc/sys/net/netfilter/nf_conntrack_max'),
    conntrackCount: num('/proc/sys/net/netfilter/nf_conntrack_count'),
  };
}

/**
 * Raises this process' RLIMIT_NOFILE (soft and hard) to `want` with `prlimit --pid`, which needs
 * CAP_SYS_RESOURCE above the current hard limit (root here) and cannot pass fs.nr_open. Children
 * forked afterwards inherit it. Returns `{ ok, before, after, error }`.
 */
export function raiseNofile(want) {
  const before = nofile();
  if (before.soft >= want) return { ok: true, before, after: before };
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${want}:${want}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 10_000,
    });
  } catch (err) {
    const why = String(err?.stderr || err?.message || err)
      .trim()
      .split('\n')[0];
    return { ok: false, before, after: nofile(), error: why };
  }
  const after = nofile();
  return { ok: after.soft >= want, before, after };
}

/**
 * TCP counters of the whole machine that show a connect storm overflowing the listen queue
 * (TcpExt ListenOverflows, ListenDrops) and SYNs answered with cookies.
 */
export function listenCounters() {
  const text = read('/proc/net/netstat');
  if (!text) return {};
  const lines = text.split('\n');
  const head = lines.find((l) => l.startsWith('TcpExt:'));
  const values = lines.filter((l) => l.startsWith('TcpExt:'))[1];
  if (!head || !values) return {};
  const names = head.split(/\s+/).slice(1);
  const nums = values.split(/\s+/).slice(1).map(Number);
  const get = (k) => nums[names.indexOf(k)];
  return {
    listenOverflows: get('ListenOverflows'),
    listenDrops: get('ListenDrops'),
    synCookiesSent: get('SyncookiesSent'),
  };
}

/** The difference of two `listenCounters()` samples. */
export function counterDelta(a, b) {
  const out = {};
  for (const k of Object.keys(b)) out[k] = b[k] - (a[k] ?? 0);
  return out;
}

/** Loopback source addresses 127.0.0.2, 127.0.0.3, ... (never 127.0.0.1 nor a .0/.255 octet). */
export class SourceAddresses {
  constructor(first = 2) {
    this.next = first;
  }

  take(count) {
    const out = [];
    while (out.length < count) {
      const n = this.next++;
      const a = (n >> 16) & 0xff;
      const b = (n >> 8) & 0xff;
      const c = n & 0xff;
      if (c === 0 || c === 255 || (a === 0 && b === 0 && c === 1)) continue;
      out.push(`127.${a}.${b}.${c}`);
    }
    return out;
  }
}
