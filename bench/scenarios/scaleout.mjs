/**
 * (f) Scale-out over Redis (issue 14, the multi-node cost model): K ws-rooms processes sharing one
 * redis-server (`ws-rooms-x<K>`, targets/ws-rooms-scaleout.ts), one sender on node 1 keeping
 * `window` broadcasts in flight, counted by their arrival at a probe on node K. Two families:
 *
 * - nodes: one room of `--scaleout-members` (240) members spread evenly over the K nodes
 *   (`--scaleout-nodes`, 1,2,4,6): what one more node costs each broadcast (a wake-up, a decode,
 *   one framing) against what a delivery costs;
 * - rooms: R rooms (`--scaleout-rooms`, 1,100,10000) on `--scaleout-rooms-nodes` (4) nodes, each
 *   node holding `--scaleout-per-node` (250) connections, and every room one member on every node
 *   (connection j of a node is in rooms j, j + 250, ...); the sender sends to the rooms in turn and
 *   the probe is in all of them. Deliveries per broadcast stay K + 1 whatever R: the figures show
 *   what the number of rooms (Redis channels, subscriptions, the rooms index) costs by itself.
 *
 * Figures per case: broadcasts per second, deliveries per second per node, each node's CPU per
 * 1,000 broadcasts (mean over the nodes), the redis-server's CPU per 1,000 broadcasts and as % of
 * a core, latency from the sender's timestamp to each receipt, and Redis' channel count and memory.
 */
import { Redis } from 'ioredis';
import { nowUs, sleep, withTimeout } from '../lib/clock.mjs';
import { assertHealthy, loadFigures, sleepUntil, split, targetCpu } from './common.mjs';
import { autoWindow } from './fanout.mjs';

const SIZE = 64;
const DRAIN_MS = 300;
const START_DELAY_US = 100_000;

/** The target of K nodes. */
export const scaleoutTarget = (k) => `ws-rooms-x${k}`;

/** Where each node's members are and which rooms they join, and the probe's rooms. */
function layout(params, k) {
  if (params.family === 'nodes') {
    // Every member in r0, spread evenly; the probe (node K) makes one more.
    return {
      perNode: split(params.members, k).concat(Array(k).fill(0)).slice(0, k),
      rooms: () => ({ start: 0, perClient: 0, step: 1, end: 1 }),
      perBroadcast: params.members + 1,
    };
  }
  const p = params.perNode;
  return {
    perNode: Array(k).fill(p),
    rooms: () => ({ start: 0, perClient: 1, step: p, end: params.rooms }),
    perBroadcast: k + 1,
  };
}

/** Redis' channel count and memory, read once the members joined (bounded). */
async function redisInfo(url) {
  const client = new Redis(url, {
    lazyConnect: true,
    commandTimeout: 5000,
    maxRetriesPerRequest: 0,
  });
  try {
    await withTimeout(client.connect(), 5000, 'redis connect');
    const text = await client.info();
    const field = (name) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    return { channels: field('pubsub_channels'), usedMemory: field('used_memory') };
  } catch {
    return { channels: NaN, usedMemory: NaN };
  } finally {
    client.disconnect();
  }
}

export const scaleout = {
  name: 'scaleout',
  title: 'Scale-out over Redis: K nodes, one sender on node 1, a probe on node K (broadcasts)',
  kind: 'scaleout',
  targets(opts) {
    const ks = new Set([...opts.scaleoutNodes, opts.scaleoutRoomsNodes]);
    return [...ks].sort((a, b) => a - b).map(scaleoutTarget);
  },
  baseline: scaleoutTarget(1),
  cases(opts) {
    const m = opts.scaleoutMembers;
    const out = [
      {
        id: `room1-m${m}`,
        label: `1 room, ${m} members over the nodes`,
        params: { family: 'nodes', rooms: 1, members: m },
        targets: opts.scaleoutNodes.map(scaleoutTarget),
      },
    ];
    const p = opts.scaleoutPerNode;
    for (const r of opts.scaleoutRooms) {
      out.push({
        id: `rooms${r}-p${p}`,
        label: `${r} room${r === 1 ? '' : 's'}, 1 member per node each, ${p} conns/node`,
        params: { family: 'rooms', rooms: r, perNode: p },
        targets: [scaleoutTarget(opts.scaleoutRoomsNodes)],
      });
    }
    return out;
  },

  async run({ target, params, opts, scope }) {
    const nodes = target.nodes;
    const k = nodes.length;
    const plan = layout(params, k);
    const window = opts.window === 'auto' ? autoWindow(plan.perBroadcast) : opts.window;
    // One generator process per node (the members of that node), then the sender and the probe.
    const receivers = await scope.spawn(
      'receivers',
      nodes.map((node, i) => ({
        kind: 'ws',
        url: node.url,
        count: plan.perNode[i],
        concurrency: 50,
        rooms: plan.rooms(i),
      })),
    );
    await Promise.all(receivers.map((r) => r.request('connect', {}, 120_000)));
    const probeUrl = `${nodes[k - 1].url}?rooms=0,1,${params.rooms}`;
    const [sender] = await scope.spawn('sender', [
      { kind: 'ws', url: nodes[0].url, probeUrl, size: SIZE, window, rooms: params.rooms },
    ]);
    await sender.request('connect', {}, 60_000);
    // Each member (and the probe) got the server's proof of its joins: every room's channel is
    // subscribed on every node that has a member.
    const members = receivers.filter((_, i) => plan.perNode[i] > 0);
    await Promise.all([...members, sender].map((w) => w.next('synced', 60_000)));
    const info = await redisInfo(target.redis.url);
    await sleep(100);

    const startUs = nowUs() + START_DELAY_US;
    const fromUs = startUs + opts.warmupMs * 1e3;
    const toUs = fromUs + opts.durationMs * 1e3;
    await Promise.all(receivers.map((r) => r.request('window', { fromUs, toUs })));
    await sender.request('run', { startUs, fromUs, toUs });
    const serverCpu = await targetCpu(target, fromUs, toUs);
    await sleepUntil(toUs + DRAIN_MS * 1e3);

    const results = await Promise.all(
      [...receivers, sender].map((w) => w.request('collect', {}, 20_000)),
    );
    const senderResult = results[results.length - 1];
    assertHealthy(results, senderResult.stalls);
    return {
      ...loadFigures({ results, serverCpu, durationMs: opts.durationMs }),
      ...nodeFigures({ results, serverCpu, opts, plan, k }),
      window,
      stalls: senderResult.stalls,
      redisChannels: info.channels,
      redisMemory: info.usedMemory,
    };
  },
};

/** Per-broadcast and per-node figures of one scaleout case. */
function nodeFigures({ results, serverCpu, opts, plan, k }) {
  const seconds = opts.durationMs / 1e3;
  const probe = results[results.length - 1];
  const broadcasts = probe.count; // the probe is in every room: one receipt per broadcast
  const perNode = results.slice(0, k).map((r) => r.count);
  perNode[k - 1] += probe.count;
  const nodeUtil = serverCpu.perNode.map((r) => r.util);
  const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
  const per1k = (cpuMs) => (broadcasts > 0 ? cpuMs / (broadcasts / 1e3) : NaN);
  const delivered = results.reduce((a, r) => a + r.count, 0);
  return {
    nodes: k,
    bcastRate: broadcasts / seconds,
    perNodeRate: mean(perNode) / seconds,
    nodeCpuMeanPct: mean(nodeUtil) * 100,
    nodeCpuMaxPct: Math.max(...nodeUtil) * 100,
    nodeCpuPer1kBcast: per1k(mean(nodeUtil) * opts.durationMs),
    clusterCpuPer1kBcast: per1k(serverCpu.util * opts.durationMs),
    redisCpuPct: serverCpu.redis.util * 100,
    redisCpuPer1kBcast: per1k(serverCpu.redis.cpuUs / 1e3),
    // Deliveries counted vs. broadcasts times the deliveries each should make: below 1 when lost.
    completeness: broadcasts > 0 ? delivered / (broadcasts * plan.perBroadcast) : NaN,
    perBroadcast: plan.perBroadcast,
    serverCpuPerNodePct: nodeUtil.map((u) => u * 100),
    deliveriesPerNode: perNode.map((n) => n / seconds),
  };
}
