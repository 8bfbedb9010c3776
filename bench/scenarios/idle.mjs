/**
 * (c) Idle connections: N connections opened by several generator processes at once (bounded
 * handshakes in flight per process) and held. Figures: connections per second until the last
 * one opened, and the server's memory per connection: (heapUsed + external) and rss after forced
 * full GCs, minus the same figures before, divided by N. A small warm-up batch is opened and
 * closed first so code loaded lazily on the first connection is not charged to the connections.
 */
import { sleep } from '../lib/clock.mjs';
import { split, waitDrained } from './common.mjs';

const WARMUP_CONNECTIONS = 200;
const CONCURRENCY = 64;

export const idle = {
  name: 'idle',
  title: 'Idle connections: connect rate and server memory per connection',
  cases(opts) {
    return [
      { id: `n${opts.idleN}`, label: `${opts.idleN} connections`, params: { n: opts.idleN } },
    ];
  },

  async run({ target, params, opts, scope }) {
    const base = { kind: target.client, url: target.url, concurrency: CONCURRENCY };
    const [warm] = await scope.spawn('idle', [{ ...base, count: WARMUP_CONNECTIONS }]);
    await warm.request('connect', {}, 60_000);
    await warm.kill();
    await waitDrained(target);

    const before = await target.child.request('mem', {}, 30_000);
    const shares = split(params.n, opts.idleProcs);
    const gens = await scope.spawn(
      'idle',
      shares.map((count) => ({ ...base, count })),
    );
    const results = await Promise.all(gens.map((g) => g.request('connect', {}, 180_000)));
    const opened = results.reduce((a, r) => a + r.opened, 0);
    const failed = results.reduce((a, r) => a + r.failed, 0);
    const startUs = Math.min(...results.map((r) => r.startUs));
    const endUs = Math.max(...results.map((r) => r.endUs));
    const firstError = results.find((r) => r.firstError)?.firstError ?? '';
    if (failed > 0) throw new Error(`${failed} of ${params.n} connections failed: ${firstError}`);
    await sleep(300);
    const serverConns = await target.child.request('conns', {}, 10_000);
    const after = await target.child.request('mem', {}, 30_000);
    const held = await Promise.all(gens.map((g) => g.request('open', {}, 10_000)));
    const dropped = opened - held.reduce((a, h) => a + h.open, 0);
    if (dropped > 0) {
      const reason = held.find((h) => h.reason)?.reason ?? '';
      throw new Error(`the target closed ${dropped} idle connection(s) (${reason})`);
    }
    const heapDelta = after.heapUsed + after.external - (before.heapUsed + before.external);
    return {
      opened,
      failed,
      serverConns,
      connectRate: opened / ((endUs - startUs) / 1e6),
      heapPerConn: heapDelta / opened,
      rssPerConn: (after.rss - before.rss) / opened,
      genCpuPct: results.reduce((a, r) => a + (r.cpu?.util ?? 0), 0) * 100,
      before,
      after,
    };
  },
};
