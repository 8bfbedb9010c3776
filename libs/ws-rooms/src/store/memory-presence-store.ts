import {
  DEFAULT_MAX_PRESENCE_MEMBERS,
  type PresenceMember,
  type PresenceSnapshot,
  type PresenceStore,
  type PresenceStoreEvents,
} from './presence-store.interface';

interface RoomRecord {
  readonly members: Map<string, PresenceMember>;
  version: number;
}

/**
 * Presence of one node, in memory and synchronous: a joiner gets its list in the same turn as the
 * join. A room's record (and its version) is dropped when its last member leaves; a version only
 * has to order the changes a client can hear while it is in the room. A snapshot lists at most
 * `maxPresenceMembers` members, the earliest joins, and is `partial` when the room has more.
 */
export class MemoryPresenceStore implements PresenceStore {
  private readonly rooms = new Map<string, RoomRecord>();

  /** @param maxPresenceMembers most members a snapshot lists (10,000 by default). */
  constructor(private readonly maxPresenceMembers: number = DEFAULT_MAX_PRESENCE_MEMBERS) {}

  attach(_events: PresenceStoreEvents): void {
    // One node cannot lose its own records, nor outlive another node.
  }

  add(room: string, member: PresenceMember): PresenceSnapshot {
    let record = this.rooms.get(room);
    if (record === undefined) {
      record = { members: new Map(), version: 0 };
      this.rooms.set(room, record);
    }
    record.members.set(member.id, member);
    record.version++;
    return snapshotOf(record, this.maxPresenceMembers);
  }

  remove(room: string, connectionId: string): number | null {
    const record = this.rooms.get(room);
    if (record === undefined || !record.members.delete(connectionId)) return null;
    record.version++;
    if (record.members.size === 0) this.rooms.delete(room);
    return record.version;
  }

  snapshot(room: string): PresenceSnapshot {
    const record = this.rooms.get(room);
    return record === undefined
      ? { members: [], version: 0, partial: false }
      : snapshotOf(record, this.maxPresenceMembers);
  }
}

function snapshotOf(record: RoomRecord, max: number): PresenceSnapshot {
  const { members, version } = record;
  if (members.size <= max) return { members: [...members.values()], version, partial: false };
  // A Map iterates in insertion order: the first `max` are the earliest joins.
  const listed: PresenceMember[] = [];
  for (const member of members.values()) {
    if (listed.length === max) break;
    listed.push(member);
  }
  return { members: listed, version, partial: true };
}
