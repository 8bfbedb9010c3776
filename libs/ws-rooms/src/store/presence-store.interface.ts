/**
 * Most members a presence snapshot lists, by default (`maxPresenceMembers` of the presence stores).
 * A room with more is listed by its earliest joins and flagged `partial`.
 */
export const DEFAULT_MAX_PRESENCE_MEMBERS = 10_000;

/** A value now, or later: the memory stores answer synchronously, networked ones asynchronously. */
export type MaybePromise<T> = T | Promise<T>;

/** One member of a presence-tracked room. */
export interface PresenceMember {
  /** The connection id. */
  readonly id: string;
  /** What `presence.metadata` returned for the connection when it joined. */
  readonly meta: Readonly<Record<string, unknown>>;
}

/**
 * The members of a room as of one version. Every presence change of a room (a join, a leave, a
 * member of a dead node removed) takes the next version, cluster-wide, so that a client can tell
 * which of the changes it hears about its snapshot already contains.
 */
export interface PresenceSnapshot {
  /** The members, in join order where the store can tell it. */
  readonly members: readonly PresenceMember[];
  /**
   * The room's version when the snapshot was read: 0 for a room without members, and when the
   * store could not number it (a networked store that is unreachable).
   */
  readonly version: number;
  /**
   * True when the store could not reach every node's records (the local ones are included), or
   * when the room has more members than the store lists (`maxPresenceMembers`).
   */
  readonly partial: boolean;
}

/** What a presence store reports of the changes it makes on its own. */
export interface PresenceStoreEvents {
  /** A member of a node that died was removed from a room by this node: tell the room. */
  removed(room: string, connectionId: string, version: number): void;
  /**
   * The cluster lost this node's records (Redis restarted empty, or the other nodes took this node
   * for dead while it was frozen): the server records its members again.
   */
  lost(): void;
  /** This node's own members of a room: what a store that cannot reach the others answers. */
  localMembers(room: string): PresenceMember[];
}

/**
 * Presence records that every node of an endpoint sees: who is in a tracked room, with what
 * metadata, at which version. The server keeps its own members locally as well (to announce their
 * leave); the store is the cluster-wide truth behind `presence(room)` and the list a joiner gets.
 * `MemoryPresenceStore` serves one node; `RedisRoomStore` brings a Redis one.
 */
export interface PresenceStore {
  /** Called once before any other method, with the listener of the store's own changes. */
  attach(events: PresenceStoreEvents): void;
  /**
   * Records a member and reads the room in the same step: the snapshot's `version` is the version
   * of this join, and it lists every member recorded before it.
   */
  add(room: string, member: PresenceMember): MaybePromise<PresenceSnapshot>;
  /**
   * Removes a member; resolves with the version of the removal (0 when the store could not number
   * it), or null when it was not recorded.
   */
  remove(room: string, connectionId: string): MaybePromise<number | null>;
  /** The members of a room now. */
  snapshot(room: string): MaybePromise<PresenceSnapshot>;
}
