import type { PresenceOptions } from '../../options/ws-rooms-options.interface';
import type { PresenceMember } from '../../store/presence-store.interface';

export type { PresenceMember } from '../../store/presence-store.interface';

/**
 * This node's members of the rooms that opted in to presence (the `presence.rooms` option), with
 * the metadata they showed when they joined. The cluster-wide records live in the presence store;
 * these are what this node must announce the leave of, or record again if the store loses them.
 */
export class PresenceTracker {
  private readonly rooms = new Map<string, Map<string, PresenceMember>>();

  constructor(private readonly options: Required<PresenceOptions>) {}

  /** True when the room tracks presence. */
  tracks(room: string): boolean {
    const { rooms } = this.options;
    return typeof rooms === 'function' ? rooms(room) : rooms.includes(room);
  }

  /** Records a local member; returns the member as others will see it. */
  add(
    connection: { readonly id: string; readonly principal: unknown },
    room: string,
  ): PresenceMember {
    let members = this.rooms.get(room);
    if (members === undefined) {
      members = new Map();
      this.rooms.set(room, members);
    }
    const member: PresenceMember = {
      id: connection.id,
      meta: Object.freeze({ ...this.options.metadata(connection) }),
    };
    members.set(connection.id, member);
    return member;
  }

  /** Forgets a local member; false when it was not recorded. */
  remove(connectionId: string, room: string): boolean {
    const members = this.rooms.get(room);
    if (members === undefined || !members.delete(connectionId)) return false;
    if (members.size === 0) this.rooms.delete(room);
    return true;
  }

  /** True while the connection is a recorded member of the room. */
  has(connectionId: string, room: string): boolean {
    return this.rooms.get(room)?.has(connectionId) === true;
  }

  /** The local members of a room, in join order. */
  members(room: string): PresenceMember[] {
    const members = this.rooms.get(room);
    return members === undefined ? [] : [...members.values()];
  }

  /** Every local membership, room by room. */
  *entries(): IterableIterator<[room: string, member: PresenceMember]> {
    for (const [room, members] of this.rooms) {
      for (const member of members.values()) yield [room, member];
    }
  }
}
