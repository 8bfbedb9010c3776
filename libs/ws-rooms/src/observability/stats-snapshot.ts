import type { WsRoomsStats } from '../server/server-stats';

/** An endpoint as observability sees it: its name and its live counters. */
export interface StatsSource {
  /** The endpoint's name (the `endpoint` label of its metrics). */
  readonly name: string;
  /** The live counters (read, never written). */
  readonly stats: Readonly<WsRoomsStats>;
}

/**
 * A copy of the counters that later traffic does not change: the by-reason and by-code records are
 * copied too, and `rooms` is read once.
 */
export function snapshotStats(stats: Readonly<WsRoomsStats>): WsRoomsStats {
  return {
    ...stats,
    upgradesRefusedByReason: { ...stats.upgradesRefusedByReason },
    errorsByCode: { ...stats.errorsByCode },
  };
}
