import type { MaybePromise } from './presence-store.interface';
import type { OutboundBroadcast } from './outbound-broadcast';

/** One broadcast kept for recovery, with its offset in the log. */
export interface RecordedBroadcast {
  /** Position in the log: positive, increasing by one per logged broadcast. */
  readonly offset: number;
  /** When it was logged (milliseconds, the logging node's clock). */
  readonly at: number;
  readonly message: Buffer;
  readonly binary: boolean;
  readonly rooms: readonly string[] | null;
  readonly except: readonly string[];
}

/** A connection that went away and may come back within the window. */
export interface SuspendedSession {
  readonly id: string;
  readonly token: string;
  readonly rooms: readonly string[];
  /**
   * The log's head when the connection joined each of its rooms: a broadcast to a room from before
   * the join was never the connection's to receive, so a replay must not hand it over (the client's
   * last offset can predate the join). Missing for a room: joined before any broadcast was logged.
   */
  readonly joinedAt?: Readonly<Record<string, number>>;
  readonly disconnectedAt: number;
  /**
   * Who the session belonged to (the principal, serialised). A token alone must not hand a session,
   * with rooms that were authorised for someone else, to another principal.
   */
  readonly owner: string;
}

/**
 * Why a recovery attempt failed (sent to the client in `ws-rooms:session`); `store-unavailable`
 * when a shared log (Redis) could not be reached.
 */
export type RecoveryFailure =
  | 'unknown-session'
  | 'expired'
  | 'history-gone'
  | 'invalid-offset'
  | 'id-in-use'
  | 'store-unavailable';

/** The outcome of taking a session back: the session, or why it cannot be resumed. */
export type SessionTakeResult =
  | { readonly ok: true; readonly session: SuspendedSession }
  | { readonly ok: false; readonly reason: RecoveryFailure };

/**
 * The memory behind missed-message recovery: a bounded log of broadcasts (count and age) numbered
 * with offsets, and the sessions of recently cut connections. A client that comes back with its
 * session token and the last offset it saw gets every later broadcast that reached its rooms, in
 * order, exactly once, or an explicit failure when the log no longer covers the gap.
 *
 * Two ways to number broadcasts:
 * - **local** (`RecoveryLog`, one node): the server delivers a broadcast and `record`s it in the
 *   same step;
 * - **sequenced** (Redis): `sequence` hands the broadcast to the store, which numbers it
 *   cluster-wide and delivers it back to every node, the origin included, through
 *   `LocalNode.deliverLocally(broadcast, offset)`, so that every node sees one order.
 */
export interface RecoveryStore {
  /** Called once when the endpoint starts (after the room store). */
  start?(): MaybePromise<void>;
  /** The offset of the newest broadcast this node delivered: where a fresh session starts. */
  head(): number;
  /** Local numbering: logs a broadcast this node is delivering and returns its offset. */
  record?(broadcast: OutboundBroadcast, now: number): number;
  /**
   * Sequenced numbering: takes a broadcast to number and deliver; false when it cannot now (the
   * caller then delivers it unlogged).
   */
  sequence?(broadcast: OutboundBroadcast): boolean;
  /** Keeps a cut connection's session for the window. */
  suspend(session: SuspendedSession): MaybePromise<void>;
  /**
   * Takes a suspended session back (at most once) for `owner`, checking the window and that the log
   * still holds every broadcast after `afterOffset`.
   */
  take(
    token: string,
    afterOffset: number,
    owner: string,
    now: number,
  ): MaybePromise<SessionTakeResult>;
  /**
   * Gives up a suspended session before its window ends (the node's session budget evicted it):
   * a later `take()` of its token answers `unknown-session`. Optional: a store without it keeps
   * evicted sessions until they expire, and only the node's count of them is bounded.
   */
  discard?(token: string): MaybePromise<void>;
  /**
   * The broadcasts after `afterOffset` that reached the session's rooms or its id, in order; null
   * when the log lost some of them since `take`.
   */
  missed(
    session: SuspendedSession,
    afterOffset: number,
    now: number,
  ): MaybePromise<readonly RecordedBroadcast[] | null>;
}

/**
 * True when a logged broadcast reached the session's connection: sent to everyone, to its id, or
 * to a room it was in at the time (it had joined before the broadcast's offset), and not excluded
 * by its id or by a room it was in at the time.
 */
export function reachedSession(
  entry: Pick<RecordedBroadcast, 'offset' | 'rooms' | 'except'>,
  session: Pick<SuspendedSession, 'id' | 'rooms' | 'joinedAt'>,
): boolean {
  const { joinedAt } = session;
  // Own properties only: a room may be called `__proto__`.
  const joinedBefore = (room: string) =>
    (joinedAt !== undefined && Object.hasOwn(joinedAt, room) ? joinedAt[room] : 0) < entry.offset;
  const wasIn = (room: string) =>
    room === session.id || (session.rooms.includes(room) && joinedBefore(room));
  for (const excluded of entry.except) if (wasIn(excluded)) return false;
  if (entry.rooms === null) return true;
  for (const room of entry.rooms) if (wasIn(room)) return true;
  return false;
}
