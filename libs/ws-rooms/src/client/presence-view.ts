import type { ClientDecodedValue } from './client-codec';

/** One member of a presence-tracked room, as the server describes it. */
export interface PresenceMember {
  /** The member's connection id. */
  readonly id: string;
  /** What the server's `presence.metadata` returned for the member when it joined. */
  readonly meta: Readonly<Record<string, unknown>>;
}

/**
 * A change of a presence-tracked room, from the reserved `ws-rooms:presence` event:
 * - `'joined'`: a member joined a room this client is in;
 * - `'left'`: a member left it (or its connection ended);
 * - `'members'`: the whole list, sent to this client when it joins the room (itself included). An
 *   empty list means this client no longer sees the room: it left, or a new connection started
 *   without recovering its rooms.
 */
export type PresenceChange =
  | { readonly type: 'joined'; readonly room: string; readonly member: PresenceMember }
  | { readonly type: 'left'; readonly room: string; readonly id: string }
  | {
      readonly type: 'members';
      readonly room: string;
      readonly members: readonly PresenceMember[];
    };

const NO_META: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * The client's view of the presence-tracked rooms it is in, kept from the `ws-rooms:presence`
 * events: members by room, in join order. It knows only what the server told this client, so it is
 * a view, not the truth: events of a room this client is not in never reach it.
 */
export class PresenceView {
  private readonly rooms = new Map<string, Map<string, PresenceMember>>();

  /**
   * Reads one `ws-rooms:presence` payload and applies it. Returns the change, or `undefined` for a
   * payload of the wrong shape (the view is left as it was).
   */
  apply(payload: ClientDecodedValue): PresenceChange | undefined {
    const change = parsePresence(payload);
    if (change === undefined) return undefined;
    const { room } = change;
    switch (change.type) {
      case 'joined':
        this.roomOf(room).set(change.member.id, change.member);
        break;
      case 'left': {
        const members = this.rooms.get(room);
        members?.delete(change.id);
        if (members?.size === 0) this.rooms.delete(room);
        break;
      }
      case 'members':
        this.rooms.delete(room);
        if (change.members.length > 0) {
          const members = this.roomOf(room);
          for (const member of change.members) members.set(member.id, member);
        }
        break;
    }
    return change;
  }

  /** The members of a room as this client knows them, in join order (empty when unknown). */
  members(room: string): PresenceMember[] {
    const members = this.rooms.get(room);
    return members === undefined ? [] : [...members.values()];
  }

  /** The rooms with at least one known member. */
  roomNames(): string[] {
    return [...this.rooms.keys()];
  }

  /** Forgets every room; returns the rooms that were known. */
  clear(): string[] {
    const rooms = this.roomNames();
    this.rooms.clear();
    return rooms;
  }

  private roomOf(room: string): Map<string, PresenceMember> {
    let members = this.rooms.get(room);
    if (members === undefined) {
      members = new Map();
      this.rooms.set(room, members);
    }
    return members;
  }
}

/** The typed change of a `ws-rooms:presence` payload; `undefined` when it is not one. */
export function parsePresence(payload: ClientDecodedValue): PresenceChange | undefined {
  if (!isRecord(payload) || typeof payload.room !== 'string') return undefined;
  const { room, joined, left, members } = payload;
  if (joined !== undefined) {
    const member = toMember(joined);
    return member === undefined ? undefined : { type: 'joined', room, member };
  }
  if (left !== undefined) {
    if (!isRecord(left) || typeof left.id !== 'string') return undefined;
    return { type: 'left', room, id: left.id };
  }
  if (Array.isArray(members)) {
    const list: PresenceMember[] = [];
    for (const entry of members) {
      const member = toMember(entry);
      if (member === undefined) return undefined;
      list.push(member);
    }
    return { type: 'members', room, members: Object.freeze(list) };
  }
  return undefined;
}

function toMember(value: unknown): PresenceMember | undefined {
  if (!isRecord(value) || typeof value.id !== 'string') return undefined;
  const meta = value.meta === undefined ? NO_META : value.meta;
  if (!isRecord(meta)) return undefined;
  return Object.freeze({ id: value.id, meta: Object.freeze({ ...meta }) });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !ArrayBuffer.isView(value)
  );
}
