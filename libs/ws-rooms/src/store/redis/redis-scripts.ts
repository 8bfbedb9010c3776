import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-client';

/** One argument of a script: keys and arguments travel as strings or raw bytes. */
export type ScriptArgument = string | Buffer | number;

/**
 * A Lua script run with `EVALSHA`, falling back to `EVAL` once when Redis does not know it yet (a
 * fresh or restarted server), so that the script text crosses the network rarely.
 */
export class RedisScript {
  private readonly sha: string;

  constructor(
    /** Name, for error messages. */
    readonly name: string,
    private readonly lua: string,
  ) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /**
   * Makes Redis know the script, so that later runs are one `EVALSHA` each. A run that must fall
   * back to `EVAL` can be overtaken by a later `EVALSHA` of the same connection (it is resent after
   * the error): scripts whose order matters are loaded before they run.
   */
  async load(client: RedisClient): Promise<void> {
    await client.script('LOAD', this.lua);
  }

  /** Runs the script; the reply is as Redis gives it (strings as strings). */
  async run(
    client: RedisClient,
    keys: readonly string[],
    args: readonly ScriptArgument[],
  ): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return client.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * Lua: creates the log counter (KEYS[1]) when it is missing, from Redis' clock, a thousand offsets
 * per millisecond, so that a new counter starts above every offset an older one handed out.
 */
const CREATE_COUNTER_FROM_CLOCK = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  local now = redis.call('TIME')
  local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  redis.call('SET', KEYS[1], string.format('%d', ms * 1000))
end`;

/**
 * Numbers a broadcast, appends it to the log stream and publishes it, in one atomic step: every
 * node receives logged broadcasts in offset order, and the log holds exactly what was published.
 * A missing counter (a new log, or a Redis that lost its data) starts from the clock, a thousand
 * offsets per millisecond: offsets never go back, so connected clients, which drop offsets they
 * have passed, keep receiving after Redis restarted empty (the log cannot number a thousand
 * broadcasts per millisecond for long, so the counter never overtakes the clock).
 * The log is bounded by count (`MAXLEN`) and by age: entries older than the window are trimmed
 * from the head, a bounded batch per call, and an idle log expires whole.
 *
 * KEYS: offset counter, log stream, logged channel.
 * ARGV: wire header, broadcast body, max entries, now (ms), window (ms).
 * Returns the offset.
 */
export const SEQUENCE_BROADCAST = new RedisScript(
  'sequence-broadcast',
  sequenceBroadcast('PUBLISH'),
);

/**
 * {@link SEQUENCE_BROADCAST} on a Redis Cluster: the same, publishing with `SPUBLISH` (the log, its
 * counter and its channel share the slot `{log}`).
 */
export const SEQUENCE_BROADCAST_SHARDED = new RedisScript(
  'sequence-broadcast-sharded',
  sequenceBroadcast('SPUBLISH'),
);

function sequenceBroadcast(publish: 'PUBLISH' | 'SPUBLISH'): string {
  return `
${CREATE_COUNTER_FROM_CLOCK}
local offset = redis.call('INCR', KEYS[1])
local id = string.format('%d-0', offset)
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[3], id, 't', ARGV[4], 'd', ARGV[2])
local cutoff = tonumber(ARGV[4]) - tonumber(ARGV[5])
local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
if #first > 0 and tonumber(first[1][2][2]) < cutoff then
  local batch = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 64)
  local keep = nil
  for _, entry in ipairs(batch) do
    if tonumber(entry[2][2]) >= cutoff then keep = entry[1] break end
  end
  if keep == nil then
    local last = batch[#batch][1]
    keep = string.format('%d-0', tonumber(string.sub(last, 1, string.find(last, '-', 1, true) - 1)) + 1)
  end
  redis.call('XTRIM', KEYS[2], 'MINID', keep)
end
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('${publish}', KEYS[3], ARGV[1] .. id .. ';' .. ARGV[2])
return offset
`;
}

/**
 * Reads the log's counter, creating it from the clock (as {@link SEQUENCE_BROADCAST} does) when it
 * is missing, and raising it to at least what a node has seen.
 *
 * KEYS: offset counter. ARGV: the highest offset the node saw (0 for none). Returns the counter.
 */
export const READ_LOG_OFFSET = new RedisScript(
  'read-log-offset',
  `
${CREATE_COUNTER_FROM_CLOCK}
local current = tonumber(redis.call('GET', KEYS[1]))
local floor = tonumber(ARGV[1])
if current < floor then
  redis.call('SET', KEYS[1], ARGV[1])
  return floor
end
return current
`,
);

/**
 * Takes a suspended session back for its owner, once, and checks that the log still holds every
 * broadcast after the client's offset (offsets are contiguous, so the entry right after it must
 * be there, and not older than the window).
 *
 * KEYS: session key, offset counter, log stream.
 * ARGV: owner, offset the client saw (-1 when it sent none that is valid), the id of the entry after
 * it, now (ms), window (ms).
 * Returns `{ 'ok', session JSON }` or `{ reason }`.
 */
export const TAKE_SESSION = new RedisScript(
  'take-session',
  `
local raw = redis.call('GET', KEYS[1])
if not raw then return {'unknown-session'} end
local ok, session = pcall(cjson.decode, raw)
if not ok or type(session) ~= 'table' or session.owner ~= ARGV[1] then return {'unknown-session'} end
redis.call('DEL', KEYS[1])
local now = tonumber(ARGV[4])
local window = tonumber(ARGV[5])
if now - tonumber(session.disconnectedAt) > window then return {'expired'} end
local head = tonumber(redis.call('GET', KEYS[2]) or '0')
local after = tonumber(ARGV[2])
if after < 0 or after > head then return {'invalid-offset'} end
if after < head then
  local next = redis.call('XRANGE', KEYS[3], ARGV[3], '+', 'COUNT', 1)
  if #next == 0 or next[1][1] ~= ARGV[3] or tonumber(next[1][2][2]) < now - window then
    return {'history-gone'}
  end
end
return {'ok', raw}
`,
);

/**
 * Records a presence member and reads the room, in one step: the version of the join and every
 * member recorded before it. The room's version key outlives an empty room for a while (`PEXPIRE`
 * when it empties, `PERSIST` here), so that versions never go back while a client may hold them.
 *
 * KEYS: room hash, room version, the node's presence rooms.
 * ARGV: connection id, record JSON (`{"n":node,"m":meta}`), room.
 * Returns `{ version, hash fields and values... }`; each value is `<join version>:<record JSON>`.
 */
export const PRESENCE_ADD = new RedisScript(
  'presence-add',
  `
local version = redis.call('INCR', KEYS[2])
redis.call('PERSIST', KEYS[2])
redis.call('HSET', KEYS[1], ARGV[1], string.format('%d', version) .. ':' .. ARGV[2])
redis.call('SADD', KEYS[3], ARGV[3])
return {version, redis.call('HGETALL', KEYS[1])}
`,
);

/**
 * Removes a presence member. KEYS: room hash, room version. ARGV: connection id, version TTL (ms)
 * once the room is empty. Returns the version of the removal, or nil when it was not recorded.
 */
export const PRESENCE_REMOVE = new RedisScript(
  'presence-remove',
  `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return nil end
local version = redis.call('INCR', KEYS[2])
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return version
`,
);

/** Reads a room's members and version together. KEYS: room hash, room version. */
export const PRESENCE_READ = new RedisScript(
  'presence-read',
  `
return {tonumber(redis.call('GET', KEYS[2]) or '0'), redis.call('HGETALL', KEYS[1])}
`,
);

/**
 * Forgets a node: drops it from the node set and removes its presence members from every room it
 * recorded members in. Atomic, so that several nodes noticing the death at once remove each
 * member once: the first run takes them all, the others find nothing. In `dead` mode nothing
 * happens if the node's heartbeat key exists (it came back between the look and this run); in
 * `self` mode a node clears its own records to write them again, and stays in the node set.
 *
 * KEYS: node set, the node's presence rooms, the node's heartbeat key.
 * ARGV: node id, room hash prefix, room version prefix, version TTL (ms) once a room is empty,
 * mode (`dead` or `self`).
 * Returns a flat list `room, connection id, version, ...` of the removals.
 */
export const FORGET_NODE = new RedisScript(
  'forget-node',
  `
if ARGV[5] == 'dead' then
  if redis.call('EXISTS', KEYS[3]) == 1 then return {} end
  redis.call('SREM', KEYS[1], ARGV[1])
end
local removed = {}
for _, room in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local hash = ARGV[2] .. room
  local entries = redis.call('HGETALL', hash)
  for i = 1, #entries, 2 do
    local value = entries[i + 1]
    local colon = string.find(value, ':', 1, true)
    local ok, record = pcall(cjson.decode, string.sub(value, (colon or 0) + 1))
    if ok and type(record) == 'table' and record.n == ARGV[1] then
      redis.call('HDEL', hash, entries[i])
      local version = redis.call('INCR', ARGV[3] .. room)
      table.insert(removed, room)
      table.insert(removed, entries[i])
      table.insert(removed, version)
    end
  end
  if redis.call('HLEN', hash) == 0 then redis.call('PEXPIRE', ARGV[3] .. room, ARGV[4]) end
end
redis.call('DEL', KEYS[2])
return removed
`,
);

/** Scripts that must be known to Redis before they run (see {@link RedisScript.load}). */
export const PRELOADED_SCRIPTS: readonly RedisScript[] = [SEQUENCE_BROADCAST];
