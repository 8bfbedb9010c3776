import { randomBytes } from 'node:crypto';

/** One broadcast kept for recovery. */
export interface RecordedBroadcast {
  readonly offset: number;
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
  readonly disconnectedAt: number;
  /**
   * Who the session belonged to (the principal, serialised). A token alone must not hand a session,
   * with rooms that were authorised for someone else, to another principal.
   */
  readonly owner: string;
}

/** Why a recovery attempt failed (sent to the client in `ws-rooms:session`). */
export type RecoveryFailure =
  'unknown-session' | 'expired' | 'history-gone' | 'invalid-offset' | 'id-in-use';

/** The outcome of a recovery attempt. */
export type RecoveryResult =
  | {
      readonly ok: true;
      readonly session: SuspendedSession;
      readonly missed: readonly RecordedBroadcast[];
    }
  | { readonly ok: false; readonly reason: RecoveryFailure };

/**
 * The memory behind missed-message recovery: a bounded log of broadcasts (count and age) numbered
 * with offsets, and the sessions of recently disconnected connections. A client that comes back
 * with its session token and the last offset it saw gets every later broadcast that reached its
 * rooms, in order, exactly once — or an explicit failure when the log no longer covers the gap.
 */
export class RecoveryLog {
  private readonly entries: RecordedBroadcast[] = [];
  private head = 0;
  private lastOffset = 0;
  private readonly sessions = new Map<string, SuspendedSession>();

  constructor(
    private readonly windowMs: number,
    private readonly maxMessages: number,
  ) {}

  /** The offset of the newest recorded broadcast (0 before any). */
  get offset(): number {
    return this.lastOffset;
  }

  /** A fresh, unguessable session token. */
  static newToken(): string {
    return randomBytes(18).toString('base64url');
  }

  /** Records a broadcast and returns its offset. */
  record(
    message: Buffer,
    binary: boolean,
    rooms: readonly string[] | null,
    except: readonly string[],
    now: number,
  ): number {
    const offset = ++this.lastOffset;
    this.entries.push({ offset, at: now, message, binary, rooms, except });
    this.prune(now);
    return offset;
  }

  /** Keeps a disconnected connection's session for the window. */
  suspend(session: SuspendedSession): void {
    this.sessions.delete(session.token);
    this.sessions.set(session.token, session);
    this.prune(session.disconnectedAt);
  }

  /**
   * Takes a suspended session back (it can be recovered once) and collects the broadcasts it
   * missed after `afterOffset`.
   */
  recover(token: string, afterOffset: number, now: number, owner: string): RecoveryResult {
    // Looked up before pruning, which would drop an expired session and hide why it failed.
    const session = this.sessions.get(token);
    this.prune(now);
    // A session of another principal is reported as unknown: the token must not tell whose it is.
    if (session === undefined || session.owner !== owner) {
      return { ok: false, reason: 'unknown-session' };
    }
    this.sessions.delete(token);
    if (now - session.disconnectedAt > this.windowMs) return { ok: false, reason: 'expired' };
    if (!Number.isSafeInteger(afterOffset) || afterOffset < 0 || afterOffset > this.lastOffset) {
      return { ok: false, reason: 'invalid-offset' };
    }
    const oldest =
      this.head < this.entries.length ? this.entries[this.head].offset : this.lastOffset + 1;
    if (afterOffset + 1 < oldest) return { ok: false, reason: 'history-gone' };
    const rooms = new Set(session.rooms);
    rooms.add(session.id);
    const missed: RecordedBroadcast[] = [];
    for (let i = this.head; i < this.entries.length; i++) {
      const entry = this.entries[i];
      if (entry.offset > afterOffset && reaches(entry, rooms)) missed.push(entry);
    }
    return { ok: true, session, missed };
  }

  /** Number of kept broadcasts (for tests and stats). */
  get size(): number {
    return this.entries.length - this.head;
  }

  private prune(now: number): void {
    while (
      this.head < this.entries.length &&
      (this.entries.length - this.head > this.maxMessages ||
        now - this.entries[this.head].at > this.windowMs)
    ) {
      this.head++;
    }
    // Compact now and then instead of shifting on every drop.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    for (const [token, session] of this.sessions) {
      if (now - session.disconnectedAt <= this.windowMs) break;
      this.sessions.delete(token);
    }
  }
}

/** True when a recorded broadcast reached a member of `rooms` (its own-id room included). */
function reaches(entry: RecordedBroadcast, rooms: ReadonlySet<string>): boolean {
  for (const excluded of entry.except) if (rooms.has(excluded)) return false;
  if (entry.rooms === null) return true;
  for (const room of entry.rooms) if (rooms.has(room)) return true;
  return false;
}
