/**
 * (b) Request/reply: C clients, each sending `echo` and waiting for its reply before sending the
 * next one (a closed loop). Figures: replies per second, round-trip latency, server CPU per
 * 1,000 replies.
 */
import { nowUs } from '../lib/clock.mjs';
import { assertHealthy, loadFigures, sleepUntil, targetCpu } from './common.mjs';

const SIZE = 64;
const DRAIN_MS = 200;

export const reqrep = {
  name: 'reqrep',
  title: 'Request/reply: echo round trips',
  cases(opts) {
    return [
      {
        id: `c${opts.reqrepClients}-${SIZE}B`,
        label: `${opts.reqrepClients} clients, ${SIZE} B`,
        params: { clients: opts.reqrepClients, size: SIZE },
      },
    ];
  },

  async run({ target, params, opts, scope }) {
    const [gen] = await scope.spawn('reqrep', [
      {
        kind: target.client,
        url: target.url,
        count: params.clients,
        size: params.size,
        concurrency: 50,
      },
    ]);
    await gen.request('connect', {}, 60_000);
    const startUs = nowUs() + 100_000;
    const fromUs = startUs + opts.warmupMs * 1e3;
    const toUs = fromUs + opts.durationMs * 1e3;
    await gen.request('run', { startUs, fromUs, toUs });
    const serverCpu = await targetCpu(target, fromUs, toUs);
    await sleepUntil(toUs + DRAIN_MS * 1e3);
    const result = await gen.request('collect', {}, 20_000);
    assertHealthy([result], result.stalls);
    return {
      ...loadFigures({ results: [result], serverCpu, durationMs: opts.durationMs }),
      errors: result.errors,
    };
  },
};
