const EMPTY: ReadonlySet<string> = new Set<string>();

/**
 * What a store reads of a node's local membership ({@link LocalNode.index}): the read side of the
 * dual index. The sets are live views: do not mutate them, and copy them before awaiting.
 */
export interface RoomIndexView {
  /** The members of a room (live view: do not mutate). */
  membersOf(room: string): ReadonlySet<string>;
  /** The explicit rooms of a connection (live view: do not mutate). */
  roomsOf(connectionId: string): ReadonlySet<string>;
  /** True when the connection is an explicit member of the room. */
  has(connectionId: string, room: string): boolean;
  /** Every non-empty explicit room. */
  rooms(): IterableIterator<string>;
  /** The number of non-empty explicit rooms. */
  readonly roomCount: number;
}

/**
 * The local dual index of room membership: room to members and member to rooms, as socket.io's
 * adapter keeps it. Empty rooms are deleted; leaving everything costs O(rooms of the connection).
 * A connection's own-id room is implicit and not stored here (one Set less per connection).
 */
export class RoomIndex implements RoomIndexView {
  private readonly membersByRoom = new Map<string, Set<string>>();
  private readonly roomsByMember = new Map<string, Set<string>>();

  /** Adds a membership; returns false when it already existed (join is idempotent). */
  add(connectionId: string, room: string): boolean {
    let members = this.membersByRoom.get(room);
    if (members === undefined) {
      members = new Set();
      this.membersByRoom.set(room, members);
    } else if (members.has(connectionId)) {
      return false;
    }
    members.add(connectionId);
    let rooms = this.roomsByMember.get(connectionId);
    if (rooms === undefined) {
      rooms = new Set();
      this.roomsByMember.set(connectionId, rooms);
    }
    rooms.add(room);
    return true;
  }

  /** Removes a membership; returns false when there was none. */
  remove(connectionId: string, room: string): boolean {
    const members = this.membersByRoom.get(room);
    if (members === undefined || !members.delete(connectionId)) return false;
    if (members.size === 0) this.membersByRoom.delete(room);
    const rooms = this.roomsByMember.get(connectionId);
    if (rooms !== undefined) {
      rooms.delete(room);
      if (rooms.size === 0) this.roomsByMember.delete(connectionId);
    }
    return true;
  }

  /** Removes every membership of a connection and returns the rooms it left. */
  removeAll(connectionId: string): string[] {
    const rooms = this.roomsByMember.get(connectionId);
    if (rooms === undefined) return [];
    this.roomsByMember.delete(connectionId);
    const left = [...rooms];
    for (const room of left) {
      const members = this.membersByRoom.get(room);
      if (members === undefined) continue;
      members.delete(connectionId);
      if (members.size === 0) this.membersByRoom.delete(room);
    }
    return left;
  }

  /** The members of a room (live view: do not mutate). */
  membersOf(room: string): ReadonlySet<string> {
    return this.membersByRoom.get(room) ?? EMPTY;
  }

  /** The explicit rooms of a connection (live view: do not mutate). */
  roomsOf(connectionId: string): ReadonlySet<string> {
    return this.roomsByMember.get(connectionId) ?? EMPTY;
  }

  /** True when the connection is an explicit member of the room. */
  has(connectionId: string, room: string): boolean {
    return this.membersByRoom.get(room)?.has(connectionId) ?? false;
  }

  /** Every non-empty explicit room. */
  rooms(): IterableIterator<string> {
    return this.membersByRoom.keys();
  }

  /** The number of non-empty explicit rooms. */
  get roomCount(): number {
    return this.membersByRoom.size;
  }
}
