/**
 * (a) Fan-out: one sender, N receivers in one room. The room holds the N receivers plus the
 * sender (every target puts each connection in the room; a room broadcast includes the sender,
 * which ignores its copy). The sender keeps `window` messages in flight, measured by arrival at
 * the probe, the last member to join. Figures: deliveries per second summed over the N
 * receivers, latency from the sender's timestamp to each receiver, server CPU per 1,000
 * deliveries.
 */
import { nowUs, sleep } from '../lib/clock.mjs';
import { assertHealthy, loadFigures, sleepUntil, split, targetCpu } from './common.mjs';

const DRAIN_MS = 300;
const START_DELAY_US = 100_000;

/**
 * Messages in flight: enough for about 800 deliveries to be under way, so the server never waits
 * for the sender, but few enough that latency is not mostly time spent queued behind the window.
 */
export function autoWindow(n) {
  return Math.min(64, Math.max(2, Math.round(800 / n)));
}

export const fanout = {
  name: 'fanout',
  title: 'Fan-out: 1 sender to N receivers in one room (delivered messages)',
  cases(opts) {
    const out = [];
    for (const n of opts.fanoutN) {
      for (const size of opts.sizes) {
        out.push({ id: `n${n}-${size}B`, label: `N=${n}, ${size} B`, params: { n, size } });
      }
    }
    return out;
  },

  run(ctx) {
    return runFanout(ctx);
  },
};

/**
 * One fan-out measurement. `receiverUrl` (default: the target's URL) is where the receivers and
 * the probe connect; the sender always connects to `target.url`. With a multi-node target whose
 * CPU report has `redis`, the figures also hold the redis-server's CPU.
 */
export async function runFanout({ target, params, opts, scope, receiverUrl = target.url }) {
  const { n, size } = params;
  const window = opts.window === 'auto' ? autoWindow(n) : opts.window;
  const base = { kind: target.client, url: receiverUrl, concurrency: 50 };

  // Receivers first, the sender process (sender, then probe) last: the probe is the newest
  // member, so it is reached last by a server's loop over the room.
  const shares = split(n - 1, Math.ceil((n - 1) / opts.recvPerProc));
  const receivers = await scope.spawn(
    'receivers',
    shares.map((count) => ({ ...base, count })),
  );
  await Promise.all(receivers.map((r) => r.request('connect', {}, 90_000)));
  const [sender] = await scope.spawn('sender', [
    { ...base, url: target.url, probeUrl: receiverUrl, size, window },
  ]);
  await sender.request('connect', {}, 30_000);

  // Every member must have received something before the clock starts: proves the joins.
  const all = [...receivers, sender];
  await sender.request('sync-start');
  await Promise.all(all.map((w) => w.next('synced', 20_000)));
  await sender.request('sync-stop');
  await sleep(100);

  const startUs = nowUs() + START_DELAY_US;
  const fromUs = startUs + opts.warmupMs * 1e3;
  const toUs = fromUs + opts.durationMs * 1e3;
  await Promise.all(receivers.map((r) => r.request('window', { fromUs, toUs })));
  await sender.request('run', { startUs, fromUs, toUs });
  const serverCpu = await targetCpu(target, fromUs, toUs);
  await sleepUntil(toUs + DRAIN_MS * 1e3);

  const results = await Promise.all(all.map((w) => w.request('collect', {}, 20_000)));
  const senderResult = results[results.length - 1];
  assertHealthy(results, senderResult.stalls);
  const figures = loadFigures({ results, serverCpu, durationMs: opts.durationMs });
  return {
    ...figures,
    window,
    sentPerSec: senderResult.sentInWindow / (opts.durationMs / 1e3),
    stalls: senderResult.stalls,
    // Deliveries counted vs. messages sent in the window times N: below 1 when receivers lag.
    completeness: senderResult.sentInWindow ? figures.count / (senderResult.sentInWindow * n) : NaN,
    generatorProcs: all.length,
    ...clusterFigures(serverCpu, figures.count),
  };
}

/** Per-node server CPU and the redis-server's CPU, when the target is several nodes. */
function clusterFigures(serverCpu, count) {
  if (!serverCpu.redis) return {};
  return {
    serverCpuPerNodePct: serverCpu.perNode.map((r) => r.util * 100),
    redisCpuPct: serverCpu.redis.util * 100,
    redisCpuPer1k: count > 0 ? serverCpu.redis.cpuUs / 1e3 / (count / 1e3) : NaN,
  };
}
