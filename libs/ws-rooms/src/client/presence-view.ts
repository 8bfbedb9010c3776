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
 *
 * `version`, when the server sends one, orders the changes of a room cluster-wide: a positive
 * integer that every presence change of the room increments, and for `'members'` the version the
 * list is as of. Older servers send none.
 */
export type PresenceChange =
  | {
      readonly type: 'joined';
      readonly room: string;
      readonly member: PresenceMember;
      readonly version?: number;
    }
  | { readonly type: 'left'; readonly room: string; readonly id: string; readonly version?: number }
  | {
      readonly type: 'members';
      readonly room: string;
      readonly members: readonly PresenceMember[];
      readonly version?: number;
    };

/**
 * How many versioned `joined`/`left` changes {@link PresenceView} remembers per room, oldest dropped
 * first, to replay them over a member list that reaches the client after them.
 */
export const MAX_REMEMBERED_DELTAS = 256;

type PresenceDelta = Exclude<PresenceChange, { readonly type: 'members' }>;

interface RememberedDelta {
  readonly delta: PresenceDelta;
  readonly version: number;
}

/** What the view knows of a room's versions (only for rooms whose changes carry one). */
interface RoomVersions {
  /** The version of the last member list applied; `undefined` until one arrives. */
  snapshotVersion: number | undefined;
  /** Deltas newer than `snapshotVersion`, in the order they were received. */
  deltas: RememberedDelta[];
}

const NO_META: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * The client's view of the presence-tracked rooms it is in, kept from the `ws-rooms:presence`
 * events: members by room, in join order. It knows only what the server told this client, so it is
 * a view, not the truth: events of a room this client is not in never reach it.
 *
 * With versioned changes it survives the races of a cluster: the changes of a room made on
 * different nodes may arrive out of version order, and the member list a joiner gets may arrive
 * after changes newer than it (the joiner already heard the room's broadcasts when the server read
 * the list). So the view ignores what is older than what it already applied, and replays the
 * remembered newer changes over a member list.
 */
export class PresenceView {
  private readonly rooms = new Map<string, Map<string, PresenceMember>>();
  private readonly versions = new Map<string, RoomVersions>();

  /**
   * Reads one `ws-rooms:presence` payload and applies it (see {@link applyChange}). Returns the
   * change applied, or `undefined` when the view is left as it was: a payload of the wrong shape,
   * or a versioned change already superseded. To tell those two apart, use {@link parsePresence}
   * then {@link applyChange}.
   */
  apply(payload: ClientDecodedValue): PresenceChange | undefined {
    const change = parsePresence(payload);
    return change === undefined ? undefined : this.applyChange(change);
  }

  /**
   * Applies a parsed change. Returns the change to tell listeners about, or `undefined` when it was
   * ignored as already superseded, so that listeners only hear of changes the view applied:
   * - a `joined`/`left` whose version is not newer than the room's last member list (the list
   *   includes it), or than a change of the same member already applied;
   * - a non-empty `members` list older than the room's last one.
   *
   * A non-empty versioned `members` list replaces the room's members, then the remembered changes
   * newer than it are replayed in the order they were received; the returned change then holds the
   * resulting list. An empty list always applies: this client left, and the room is forgotten.
   * Changes without a version apply as they come.
   */
  applyChange(change: PresenceChange): PresenceChange | undefined {
    if (change.type === 'members') return this.applyMembers(change);
    if (change.version !== undefined) {
      if (this.isSuperseded(change, change.version)) return undefined;
      this.remember(change, change.version);
    }
    this.applyDelta(change);
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

  /** Forgets every room, with its versions; returns the rooms that had known members. */
  clear(): string[] {
    const rooms = this.roomNames();
    this.rooms.clear();
    this.versions.clear();
    return rooms;
  }

  private applyMembers(
    change: Extract<PresenceChange, { readonly type: 'members' }>,
  ): PresenceChange | undefined {
    const { room, members, version } = change;
    if (members.length === 0) {
      // Never ignored, whatever its version: it is this client's own leave, and ignoring it would
      // keep a room it is no longer told about. Forgetting the versions also bounds memory, and
      // lets the room's versions start over if the server resets them.
      this.rooms.delete(room);
      this.versions.delete(room);
      return change;
    }
    if (version === undefined) {
      // No version to tell which remembered changes the list includes: replace, as older servers
      // expect.
      this.versions.delete(room);
      this.replaceMembers(room, members);
      return change;
    }
    const known = this.versions.get(room);
    if (known?.snapshotVersion !== undefined && version < known.snapshotVersion) return undefined;
    // The list includes every change up to its version; only the newer ones are still needed.
    const newer = known?.deltas.filter((entry) => entry.version > version) ?? [];
    this.versions.set(room, { snapshotVersion: version, deltas: newer });
    this.replaceMembers(room, members);
    for (const { delta } of newer) this.applyDelta(delta);
    return { type: 'members', room, members: Object.freeze(this.members(room)), version };
  }

  /**
   * True when the room's last member list includes the delta, or when a newer change of the same
   * member was already applied (their order decides whether the member is there, and with which
   * metadata). Remembered deltas all passed this check when received, so replaying them in order
   * gives what applying them live gave.
   */
  private isSuperseded(delta: PresenceDelta, version: number): boolean {
    const known = this.versions.get(delta.room);
    if (known === undefined) return false;
    if (known.snapshotVersion !== undefined && version <= known.snapshotVersion) return true;
    const id = memberIdOf(delta);
    return known.deltas.some((entry) => entry.version >= version && memberIdOf(entry.delta) === id);
  }

  private remember(delta: PresenceDelta, version: number): void {
    let known = this.versions.get(delta.room);
    if (known === undefined) {
      known = { snapshotVersion: undefined, deltas: [] };
      this.versions.set(delta.room, known);
    }
    known.deltas.push({ delta, version });
    // Bounded: a member list that arrives later than this many changes cannot be fully caught up,
    // but a list is sent right after joining, so that many changes in between is not expected.
    if (known.deltas.length > MAX_REMEMBERED_DELTAS) known.deltas.shift();
  }

  private applyDelta(delta: PresenceDelta): void {
    if (delta.type === 'joined') {
      this.roomOf(delta.room).set(delta.member.id, delta.member);
      return;
    }
    const members = this.rooms.get(delta.room);
    members?.delete(delta.id);
    if (members?.size === 0) this.rooms.delete(delta.room);
  }

  private replaceMembers(room: string, list: readonly PresenceMember[]): void {
    this.rooms.delete(room);
    if (list.length === 0) return;
    const members = this.roomOf(room);
    for (const member of list) members.set(member.id, member);
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

/**
 * The typed change of a `ws-rooms:presence` payload; `undefined` when it is not one, including when
 * it has a `version` that is not a positive safe integer.
 */
export function parsePresence(payload: ClientDecodedValue): PresenceChange | undefined {
  if (!isRecord(payload) || typeof payload.room !== 'string') return undefined;
  const { room, joined, left, members, version } = payload;
  if (version !== undefined && !isVersion(version)) return undefined;
  // Only a payload that carries a version gets the field, so older servers' changes look as before.
  const versioned = version === undefined ? {} : { version };
  if (joined !== undefined) {
    const member = toMember(joined);
    return member === undefined ? undefined : { type: 'joined', room, member, ...versioned };
  }
  if (left !== undefined) {
    if (!isRecord(left) || typeof left.id !== 'string') return undefined;
    return { type: 'left', room, id: left.id, ...versioned };
  }
  if (Array.isArray(members)) {
    const list: PresenceMember[] = [];
    for (const entry of members) {
      const member = toMember(entry);
      if (member === undefined) return undefined;
      list.push(member);
    }
    return { type: 'members', room, members: Object.freeze(list), ...versioned };
  }
  return undefined;
}

function memberIdOf(delta: PresenceDelta): string {
  return delta.type === 'joined' ? delta.member.id : delta.id;
}

function isVersion(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
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
