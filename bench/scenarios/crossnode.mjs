/**
 * (d) Cross-node fan-out over Redis: the fan-out of fanout.mjs, with the sender on node A and the
 * N receivers (and the probe) on node B of `ws-rooms-redis` (two ws-rooms processes sharing one
 * redis-server through `RedisRoomStore`): every message goes sender -> A -> Redis -> B -> N
 * receivers. The same case on single-node `ws-rooms` runs interleaved with it, round by round, as
 * the reference (the ratios of this scenario are to `ws-rooms`).
 *
 * Figures are fan-out's: deliveries per second summed over the N receivers, latency from the
 * sender's timestamp to each receipt, and server CPU per 1,000 deliveries summed over both nodes;
 * plus the redis-server's CPU (from /proc/<pid>/stat) in the same window.
 */
import { runFanout } from './fanout.mjs';

export const crossnode = {
  name: 'crossnode',
  title:
    'Cross-node fan-out over Redis: sender on node A, N receivers on node B (delivered messages)',
  kind: 'crossnode',
  // Its own targets, whatever --targets says (--crossnode-targets): the Redis pairs, with and
  // without recovery, socket.io's peers over Redis, and the single-node reference.
  targets: (opts) => opts.crossnodeTargets,
  baseline: 'ws-rooms',
  cases(opts) {
    const out = [];
    for (const n of opts.crossnodeN) {
      for (const size of opts.crossnodeSizes) {
        out.push({ id: `n${n}-${size}B`, label: `N=${n}, ${size} B`, params: { n, size } });
      }
    }
    return out;
  },

  run(ctx) {
    const { target } = ctx;
    // Single-node targets keep everyone on the one node: the plain fan-out case.
    const receiverUrl = target.nodes ? target.nodes[target.nodes.length - 1].url : target.url;
    return runFanout({ ...ctx, receiverUrl });
  },
};
