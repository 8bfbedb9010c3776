import { describeError } from '../../util/describe-error';
import {
  DEFAULT_MAX_PRESENCE_MEMBERS,
  type PresenceMember,
  type PresenceSnapshot,
  type PresenceStore,
  type PresenceStoreEvents,
} from '../presence-store.interface';
import { FORGET_NODE, PRESENCE_ADD, PRESENCE_READ, PRESENCE_REMOVE } from './redis-scripts';
import type { RedisClient } from './redis-client';
import { addInCluster, forgetNodeInCluster } from './cluster-presence';
import type { RedisKeys } from './redis-keys';
import type { RedisStoreContext } from './redis-store-context';
import { jsonDepthWithin, utf8Within } from './redis-wire-limits';

/** How long a room's version outlives its last member (a joiner may still hold newer changes). */
const EMPTY_ROOM_VERSION_TTL = 10 * 60_000;

/**
 * Presence records in Redis, shared by every node:
 * - `<keyPrefix>:presence:<room>`, a hash: connection id → `<join version>:{"n":<node id>,"m":<meta>}`;
 * - `<keyPrefix>:presence-version:<room>`, the room's version counter;
 * - `<keyPrefix>:presence-rooms:<node id>`, the rooms in which a node recorded members.
 *
 * Each change is one Lua script (atomic), so versions and records never disagree. When a node's
 * heartbeat expires, the first node to notice removes its members (one atomic script: each member is
 * removed once however many nodes notice) and the rooms hear `left`. A list read for `presence()`
 * leaves out members of nodes that are no longer live, even before they are removed.
 *
 * While Redis is unreachable, changes are kept for this node only and answers are `partial`, with
 * this node's members and no version; once Redis is back the node records its members again.
 */
export class RedisPresenceStore implements PresenceStore {
  private events: PresenceStoreEvents | null = null;
  private changesLost = false;

  /** @param maxPresenceMembers most members a snapshot lists, the earliest joins (then `partial`). */
  constructor(
    private readonly context: RedisStoreContext,
    private readonly maxPresenceMembers: number = DEFAULT_MAX_PRESENCE_MEMBERS,
  ) {}

  attach(events: PresenceStoreEvents): void {
    this.events = events;
  }

  /** True when a change could not reach Redis: the node must record its members again. */
  get needsResync(): boolean {
    return this.changesLost;
  }

  async add(room: string, member: PresenceMember): Promise<PresenceSnapshot> {
    const { keys, nodeId } = this.context;
    const client = this.context.readyClient();
    if (client !== null) {
      try {
        const record = JSON.stringify({ n: nodeId, m: member.meta });
        const reply = keys.cluster
          ? await addInCluster(client, keys, nodeId, room, member.id, record)
          : ((await PRESENCE_ADD.run(
              client,
              [keys.presence(room), keys.presenceVersion(room), keys.presenceRooms(nodeId)],
              [member.id, record, room],
            )) as [number, string[]]);
        const { members, truncated } = readMembers(
          reply[1],
          null,
          this.context,
          this.maxPresenceMembers,
        );
        return { members, version: Number(reply[0]), partial: truncated };
      } catch (error) {
        this.context.failure('presence', `recording presence failed: ${describeError(error)}`);
      }
    }
    this.changesLost = true;
    return this.localSnapshot(room);
  }

  /** The server removes only members it recorded: when Redis cannot number it, the answer is 0. */
  async remove(room: string, connectionId: string): Promise<number | null> {
    const { keys } = this.context;
    const client = this.context.readyClient();
    if (client !== null) {
      try {
        const version = await PRESENCE_REMOVE.run(
          client,
          [keys.presence(room), keys.presenceVersion(room)],
          [connectionId, EMPTY_ROOM_VERSION_TTL],
        );
        return version === null ? null : Number(version);
      } catch (error) {
        this.context.failure('presence', `removing presence failed: ${describeError(error)}`);
      }
    }
    this.changesLost = true;
    return 0;
  }

  async snapshot(room: string): Promise<PresenceSnapshot> {
    const { keys } = this.context;
    const client = this.context.readyClient();
    if (client !== null) {
      try {
        const [reply, live] = await Promise.all([
          PRESENCE_READ.run(
            client,
            [keys.presence(room), keys.presenceVersion(room)],
            [],
          ) as Promise<[number, string[]]>,
          this.context.liveNodes(),
        ]);
        const alive = new Set(live);
        alive.add(this.context.nodeId);
        const { members, truncated } = readMembers(
          reply[1],
          alive,
          this.context,
          this.maxPresenceMembers,
        );
        return { members, version: Number(reply[0]), partial: truncated };
      } catch (error) {
        this.context.failure('presence', `reading presence failed: ${describeError(error)}`);
      }
    }
    return this.localSnapshot(room);
  }

  /**
   * Removes the members a node recorded and tells their rooms: `dead` for a node whose heartbeat
   * expired (also dropped from the node set; nothing happens if its heartbeat is back), `self` for
   * this node before it records its members again. Resolves false when Redis could not be reached.
   */
  async forgetNode(nodeId: string, mode: ForgetMode): Promise<boolean> {
    const client = this.context.readyClient();
    if (client === null) return false;
    let removed: PresenceRemoval[];
    try {
      removed = await forgetNode(client, this.context.keys, nodeId, mode);
    } catch (error) {
      this.context.failure('presence', `forgetting node ${nodeId} failed: ${describeError(error)}`);
      return false;
    }
    for (const { room, connectionId, version } of removed) {
      this.events?.removed(room, connectionId, version);
    }
    return true;
  }

  /**
   * The cluster may have lost (or kept stale) records of this node: Redis restarted, the node was
   * taken for dead while frozen, or a change failed. Clears them and records every member again.
   */
  async resync(): Promise<void> {
    this.changesLost = false;
    if (!(await this.forgetNode(this.context.nodeId, 'self'))) {
      this.changesLost = true;
      return;
    }
    this.events?.lost();
  }

  private localSnapshot(room: string): PresenceSnapshot {
    return { members: this.events?.localMembers(room) ?? [], version: 0, partial: true };
  }
}

/** `dead`: a node whose heartbeat expired; `self`: this node, clearing its records to write them again. */
export type ForgetMode = 'dead' | 'self';

/** A presence member removed because its node was forgotten. */
export interface PresenceRemoval {
  readonly room: string;
  readonly connectionId: string;
  readonly version: number;
}

/** Runs {@link FORGET_NODE}: also what a store without presence uses to drop dead nodes. */
export async function forgetNode(
  client: RedisClient,
  keys: RedisKeys,
  nodeId: string,
  mode: ForgetMode,
): Promise<PresenceRemoval[]> {
  if (keys.cluster) {
    return forgetNodeInCluster(client, keys, nodeId, mode, EMPTY_ROOM_VERSION_TTL);
  }
  const flat = (await FORGET_NODE.run(
    client,
    [keys.nodes, keys.presenceRooms(nodeId), keys.node(nodeId)],
    [nodeId, keys.presencePrefix, keys.presenceVersionPrefix, EMPTY_ROOM_VERSION_TTL, mode],
  )) as (string | number)[];
  const removed: PresenceRemoval[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) {
    removed.push({
      room: String(flat[i]),
      connectionId: String(flat[i + 1]),
      version: Number(flat[i + 2]),
    });
  }
  return removed;
}

/**
 * Reads hash fields and values into members in join order, keeping those of `alive` nodes. A
 * record is another node's writing: one beyond the wire limits (an id too long, metadata too large
 * or too deep to send on) or that does not parse is left out and counted. Past `maxMembers` records,
 * only the earliest joins are checked and parsed (the others cost one number read each), and the
 * list is `truncated`.
 */
function readMembers(
  flat: readonly string[],
  alive: ReadonlySet<string> | null,
  context: Pick<RedisStoreContext, 'limits' | 'stats'>,
  maxMembers: number,
): { members: PresenceMember[]; truncated: boolean } {
  const { limits, stats } = context;
  const members: { member: PresenceMember; joined: number }[] = [];
  const chosen = earliestRecords(flat, maxMembers);
  const count = chosen?.length ?? flat.length >> 1;
  for (let n = 0; n < count; n++) {
    const i = chosen === null ? 2 * n : chosen[n];
    const value = flat[i + 1];
    const colon = value.indexOf(':');
    if (
      !utf8Within(flat[i], limits.maxNameBytes) ||
      !utf8Within(value, limits.maxMessageBytes) ||
      // The version before the colon is ASCII digits: the colon's index is the same in bytes.
      !jsonDepthWithin(Buffer.from(value), colon + 1, limits.maxJsonDepth)
    ) {
      stats.messagesOverLimits++;
      continue;
    }
    try {
      const record = JSON.parse(value.slice(colon + 1)) as { n?: unknown; m?: unknown };
      if (alive !== null && !alive.has(String(record.n))) continue;
      const meta =
        typeof record.m === 'object' && record.m !== null
          ? (record.m as Record<string, unknown>)
          : {};
      members.push({
        member: { id: flat[i], meta: Object.freeze(meta) },
        joined: Number(value.slice(0, colon)),
      });
    } catch {
      // A value another program wrote: not a member.
      stats.malformedMessages++;
    }
  }
  members.sort((a, b) => a.joined - b.joined);
  return { members: members.map((entry) => entry.member), truncated: chosen !== null };
}

/** Past `max` records, the field indexes of the `max` earliest joins; null when all fit. */
function earliestRecords(flat: readonly string[], max: number): number[] | null {
  if (flat.length >> 1 <= max) return null;
  const order: { at: number; joined: number }[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const value = String(flat[i + 1]);
    const joined = Number(value.slice(0, Math.max(0, value.indexOf(':'))));
    order.push({ at: i, joined: Number.isFinite(joined) ? joined : Number.MAX_SAFE_INTEGER });
  }
  order.sort((a, b) => a.joined - b.joined);
  return order.slice(0, max).map((entry) => entry.at);
}
