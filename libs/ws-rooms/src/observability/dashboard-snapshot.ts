import type { WsRoomsStats } from '../server/server-stats';
import type { RateSample, RateSampler } from './rate-sampler';
import { snapshotStats } from './stats-snapshot';
import { largestRooms, type RoomSize, type RoomSource } from './top-rooms';

/** The most rooms a snapshot lists (the largest ones); `roomCount` still counts them all. */
export const DASHBOARD_ROOM_LIMIT = 50;

/** The endpoint a dashboard watches. */
export interface ObservedEndpoint {
  readonly name: string;
  readonly options: { readonly endpoint: string };
  readonly stats: Readonly<WsRoomsStats>;
  readonly index: RoomSource;
}

/**
 * The payload of the dashboard feed's `stats` event (JSON), sent every second and on connect.
 * Everything is this node's view: with a multi-node store, each node has its own dashboard.
 */
export type DashboardSnapshot = {
  readonly endpoint: { readonly name: string; readonly path: string };
  /** When the snapshot was taken (ms since the epoch). */
  readonly at: number;
  readonly connections: number;
  /** Every non-empty room of this node. */
  readonly roomCount: number;
  /** The largest rooms, largest first (at most {@link DASHBOARD_ROOM_LIMIT}). */
  readonly rooms: readonly RoomSize[];
  /** The newest per-second message rates. */
  readonly rates: { readonly in: number; readonly out: number };
  /** The recent rates, oldest first, one per second. */
  readonly history: readonly RateSample[];
  /** Every counter of the endpoint. */
  readonly totals: WsRoomsStats;
};

/** Builds one snapshot; costs a pass over the local room index, so it runs only when watched. */
export function buildDashboardSnapshot(
  endpoint: ObservedEndpoint,
  sampler: RateSampler,
  at: number,
  roomLimit: number = DASHBOARD_ROOM_LIMIT,
): DashboardSnapshot {
  const totals = snapshotStats(endpoint.stats);
  const latest = sampler.latest();
  return {
    endpoint: { name: endpoint.name, path: endpoint.options.endpoint },
    at,
    connections: totals.connections,
    roomCount: totals.rooms,
    rooms: largestRooms(endpoint.index, roomLimit),
    rates: { in: latest.in, out: latest.out },
    history: sampler.history(),
    totals,
  };
}
