import type { PresenceOptions } from '../options/ws-rooms-options.interface';

/** One member of a presence-tracked room. */
export interface PresenceMember {
  /** The connection id. */
  readonly id: string;
  /** What `presence.metadata` returned for the connection when it joined. */
  readonly meta: Readonly<Record<string, unknown>>;
}

/**
 * Members with metadata of the rooms that opted in to presence (the `presence.rooms` option). The
 * server tells a room when someone joins or leaves (`ws-rooms:presence`), and a joiner gets the
 * current member list.
 */
export class PresenceTracker {
  private readonly rooms = new Map<string, Map<string, Readonly<Record<string, unknown>>>>();

  constructor(private readonly options: Required<PresenceOptions>) {}

  /** True when the room tracks presence. */
  tracks(room: string): boolean {
    const { rooms } = this.options;
    return typeof rooms === 'function' ? rooms(room) : rooms.includes(room);
  }

  /** Records a member; returns the member as others will see it. */
  add(
    connection: { readonly id: string; readonly principal: unknown },
    room: string,
  ): PresenceMember {
    let members = this.rooms.get(room);
    if (members === undefined) {
      members = new Map();
      this.rooms.set(room, members);
    }
    const meta = Object.freeze({ ...this.options.metadata(connection) });
    members.set(connection.id, meta);
    return { id: connection.id, meta };
  }

  /** Forgets a member; false when it was not recorded. */
  remove(connectionId: string, room: string): boolean {
    const members = this.rooms.get(room);
    if (members === undefined || !members.delete(connectionId)) return false;
    if (members.size === 0) this.rooms.delete(room);
    return true;
  }

  /** The members of a room, in join order. */
  members(room: string): PresenceMember[] {
    const members = this.rooms.get(room);
    if (members === undefined) return [];
    return [...members].map(([id, meta]) => ({ id, meta }));
  }
}
