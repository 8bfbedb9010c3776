/**
 * The scenario registry, in the order they run within a round (idle first, while the targets'
 * heaps and RSS are fresh).
 *
 * A scenario is `{ name, title, cases(opts) -> [{ id, label, params }], run(ctx) -> figures }`,
 * with `ctx = { root, target, params, opts, scope }`; load generators are started through
 * `scope.spawn(role, configs)` so the orchestrator can always kill them.
 *
 * A scenario may also have `targets` (its own target list, run whatever --targets says),
 * `baseline` (the target its ratios are to, instead of raw-ws) and `kind` (its report columns).
 *
 * (d) `crossnode`, cross-node fan-out over Redis (crossnode.mjs): the fan-out roles and figures on
 * two processes of `ws-rooms-redis` sharing one redis-server, the sender on node A and the
 * receivers on node B; server CPU is summed over the nodes and the redis-server's CPU is read from
 * /proc/<pid>/stat. It runs on ws-rooms-redis and, as the single-node reference, ws-rooms only;
 * it is part of the default run (DEFAULTS in lib/options.mjs).
 *
 * (f) `scaleout`, K nodes over one redis-server (scaleout.mjs): broadcasts per second, CPU per node
 * and of Redis per broadcast as nodes (1 to 6) and rooms (1 to 10,000) grow, on its own targets
 * `ws-rooms-x<K>`; a case may name the targets it runs on (`targets` of the case). Not in the
 * default run.
 *
 * (e) `c100k`, many connections on one node (c100k.mjs): N connections held with heartbeats, on its
 * own targets (`--c100k-targets`) started with its ping period (`targetEnv`), in the first
 * `--c100k-rounds` rounds only (`rounds`), with a case timeout that grows with N
 * (`caseTimeoutMs`). Not in the default run: at 100,000 it takes several minutes per target.
 */
import { c100k } from './c100k.mjs';
import { crossnode } from './crossnode.mjs';
import { fanout } from './fanout.mjs';
import { idle } from './idle.mjs';
import { reqrep } from './reqrep.mjs';
import { scaleout } from './scaleout.mjs';

export const SCENARIOS = [idle, reqrep, fanout, crossnode, scaleout, c100k];
