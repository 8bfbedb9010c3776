/**
 * The scenario registry, in the order they run within a round (idle first, while the targets'
 * heaps and RSS are fresh).
 *
 * A scenario is `{ name, title, cases(opts) -> [{ id, label, params }], run(ctx) -> figures }`,
 * with `ctx = { root, target, params, opts, scope }`; load generators are started through
 * `scope.spawn(role, configs)` so the orchestrator can always kill them.
 *
 * EXTENSION POINT (d), cross-node fan-out over Redis — not implemented yet. The plan:
 *  - a scenario `crossnode` whose `run` starts two more processes of the same target wired to
 *    one Redis (a target option passed through the env, e.g. BENCH_REDIS_URL), puts the sender
 *    on node A and the receivers on node B, and reuses the fan-out roles and figures unchanged;
 *  - server CPU is then the sum over the nodes (each answers `cpu-start`/`cpu-stop`), plus the
 *    Redis server's CPU from /proc/<pid>/stat;
 *  - targets without a multi-node mode (raw-ws, platform-ws) are skipped; socket.io uses
 *    @socket.io/redis-adapter.
 * Register it below once written; run.mjs accepts --scenarios names from this list.
 */
import { fanout } from './fanout.mjs';
import { idle } from './idle.mjs';
import { reqrep } from './reqrep.mjs';

export const SCENARIOS = [idle, reqrep, fanout];
