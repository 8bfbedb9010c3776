import type Redis from 'ioredis';
import type { RedisRoomStore } from 'ws-rooms';
import type { NodeHeartbeat } from '../../../libs/ws-rooms/src/store/redis/redis-node-heartbeat';

/*
 * The store-level suites drive a store's heartbeat themselves and cut its connections by hand, to
 * run races in a chosen order. They reach into the store's private parts here, in one place, so a
 * change of the store's layout changes this file only.
 */

interface Internals {
  readonly heartbeat: NodeHeartbeat;
  readonly connections: { readonly pub: Redis; readonly sub: Redis } | null;
}

const internals = (store: RedisRoomStore) => store as unknown as Internals;

/** Stops a store's heartbeat timer: the test then runs its heartbeats itself, in a chosen order. */
export function stopHeartbeat(store: RedisRoomStore): void {
  internals(store).heartbeat.stop();
}

/** One heartbeat of a store, as its timer runs it (registration, resync, looking for dead nodes). */
export function beat(store: RedisRoomStore): Promise<void> {
  return internals(store).heartbeat.beat();
}

/** The store's publisher and subscriber connections (it must be started). */
export function connectionsOf(store: RedisRoomStore): { pub: Redis; sub: Redis } {
  const connections = internals(store).connections;
  if (connections === null) throw new Error('the store is not started');
  return connections;
}
