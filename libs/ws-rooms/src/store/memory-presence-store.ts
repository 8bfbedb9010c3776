import type {
  PresenceMember,
  PresenceSnapshot,
  PresenceStore,
  PresenceStoreEvents,
} from './presence-store.interface';

interface RoomRecord {
  readonly members: Map<string, PresenceMember>;
  version: number;
}

/**
 * Presence of one node, in memory and synchronous: a joiner gets its list in the same turn as the
 * join. A room's record (and its version) is dropped when its last member leaves; a version only
 * has to order the changes a client can hear while it is in the room.
 */
export class MemoryPresenceStore implements PresenceStore {
  private readonly rooms = new Map<string, RoomRecord>();

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
    return snapshotOf(record);
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
    return record === undefined ? { members: [], version: 0, partial: false } : snapshotOf(record);
  }
}

function snapshotOf(record: RoomRecord): PresenceSnapshot {
  return { members: [...record.members.values()], version: record.version, partial: false };
}
