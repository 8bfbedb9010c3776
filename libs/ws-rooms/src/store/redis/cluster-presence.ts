import type { RedisClient } from './redis-client';
import type { RedisKeys } from './redis-keys';
import { RedisScript } from './redis-scripts';

/*
 * Presence on a Redis Cluster. A script may only touch keys of one slot, and a room's records (its
 * hash and version, `<keyPrefix>:{presence:<room>}` and `...:version`) are in the room's slot,
 * while the rooms a node recorded members in are in the node set's slot
 * (`<keyPrefix>:{nodes}:presence-rooms:<node>`). So what the standalone scripts do in one step is
 * two steps here, in an order that never loses a member:
 * - recording: the room into the node's set first, then the member into the room;
 * - forgetting a node: one script takes the node's room set (atomically: of several nodes that
 *   notice a death at once, one gets the rooms, the others nothing), then one script per room
 *   removes the node's members there. A node that dies between the two steps leaves records that
 *   `presence()` lists already leave out (their node is not live).
 */

/**
 * Records a member in a room and reads it, as `PRESENCE_ADD` without the node's room set.
 * KEYS: room hash, room version. ARGV: connection id, record JSON.
 * Returns `{ version, hash fields and values... }`.
 */
export const PRESENCE_ADD_IN_ROOM = new RedisScript(
  'presence-add-in-room',
  `
local version = redis.call('INCR', KEYS[2])
redis.call('PERSIST', KEYS[2])
redis.call('HSET', KEYS[1], ARGV[1], string.format('%d', version) .. ':' .. ARGV[2])
return {version, redis.call('HGETALL', KEYS[1])}
`,
);

/**
 * Takes the rooms of a node to forget. KEYS: node set, the node's presence rooms, its heartbeat key.
 * ARGV: node id, mode (`dead`: nothing if the heartbeat is back, else dropped from the node set;
 * `self`). Returns the rooms (the set is deleted).
 */
export const TAKE_NODE_ROOMS = new RedisScript(
  'take-node-rooms',
  `
if ARGV[2] == 'dead' then
  if redis.call('EXISTS', KEYS[3]) == 1 then return {} end
  redis.call('SREM', KEYS[1], ARGV[1])
end
local rooms = redis.call('SMEMBERS', KEYS[2])
redis.call('DEL', KEYS[2])
return rooms
`,
);

/**
 * Removes a node's members from one room. KEYS: room hash, room version. ARGV: node id, version TTL
 * (ms) once the room is empty. Returns a flat list `connection id, version, ...`.
 */
export const FORGET_NODE_IN_ROOM = new RedisScript(
  'forget-node-in-room',
  `
local removed = {}
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local value = entries[i + 1]
  local colon = string.find(value, ':', 1, true)
  local ok, record = pcall(cjson.decode, string.sub(value, (colon or 0) + 1))
  if ok and type(record) == 'table' and record.n == ARGV[1] then
    redis.call('HDEL', KEYS[1], entries[i])
    table.insert(removed, entries[i])
    table.insert(removed, redis.call('INCR', KEYS[2]))
  end
end
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return removed
`,
);

/** Rooms forgotten at once (one script each, in flight together). */
const ROOMS_PER_BATCH = 64;
/** Most rooms of one node read back for forgetting (beyond, the rest stay until it is forgotten again). */
const MAX_NODE_ROOMS = 100_000;

/** Records a member (the room into the node's set, then the member into the room). */
export async function addInCluster(
  client: RedisClient,
  keys: RedisKeys,
  nodeId: string,
  room: string,
  id: string,
  record: string,
): Promise<[number, string[]]> {
  await client.eval(
    "return redis.call('SADD', KEYS[1], ARGV[1])",
    1,
    keys.presenceRooms(nodeId),
    room,
  );
  return (await PRESENCE_ADD_IN_ROOM.run(
    client,
    [keys.presence(room), keys.presenceVersion(room)],
    [id, record],
  )) as [number, string[]];
}

/** A removal, as `forgetNode` reports it. */
export interface ClusterPresenceRemoval {
  readonly room: string;
  readonly connectionId: string;
  readonly version: number;
}

/** Forgets a node's members on a cluster (see the top of this file). */
export async function forgetNodeInCluster(
  client: RedisClient,
  keys: RedisKeys,
  nodeId: string,
  mode: 'dead' | 'self',
  emptyRoomVersionTtl: number,
): Promise<ClusterPresenceRemoval[]> {
  const rooms = (await TAKE_NODE_ROOMS.run(
    client,
    [keys.nodes, keys.presenceRooms(nodeId), keys.node(nodeId)],
    [nodeId, mode],
  )) as string[];
  const removed: ClusterPresenceRemoval[] = [];
  const taken = rooms.slice(0, MAX_NODE_ROOMS);
  for (let i = 0; i < taken.length; i += ROOMS_PER_BATCH) {
    const batch = taken.slice(i, i + ROOMS_PER_BATCH);
    const results = await Promise.all(
      batch.map(
        (room) =>
          FORGET_NODE_IN_ROOM.run(
            client,
            [keys.presence(room), keys.presenceVersion(room)],
            [nodeId, emptyRoomVersionTtl],
          ) as Promise<(string | number)[]>,
      ),
    );
    results.forEach((flat, index) => {
      for (let j = 0; j + 1 < flat.length; j += 2) {
        removed.push({
          room: String(batch[index]),
          connectionId: String(flat[j]),
          version: Number(flat[j + 1]),
        });
      }
    });
  }
  return removed;
}
