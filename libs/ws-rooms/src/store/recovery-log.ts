import { randomBytes } from 'node:crypto';
import type { OutboundBroadcast } from './room-store.interface';
import {
  reachedSession,
  type RecordedBroadcast,
  type RecoveryStore,
  type SessionTakeResult,
  type SuspendedSession,
} from './recovery-store.interface';

export type {
  RecordedBroadcast,
  RecoveryFailure,
  SuspendedSession,
} from './recovery-store.interface';

/** A fresh, unguessable session token. */
export function newSessionToken(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * The single-node recovery log, in memory: broadcasts numbered as this node delivers them, bounded
 * by count and age, and the sessions of recently cut connections (see {@link RecoveryStore}).
 */
export class RecoveryLog implements RecoveryStore {
  private readonly entries: RecordedBroadcast[] = [];
  private headIndex = 0;
  private lastOffset = 0;
  private readonly sessions = new Map<string, SuspendedSession>();

  /** Bytes of the kept broadcasts' messages. */
  private bytes = 0;

  constructor(
    private readonly windowMs: number,
    private readonly maxMessages: number,
    /** Most bytes of messages kept: the log is bounded in bytes, not only in count and age. */
    private readonly maxBytes: number = Number.POSITIVE_INFINITY,
  ) {}

  /** The offset of the newest recorded broadcast (0 before any). */
  head(): number {
    return this.lastOffset;
  }

  /** Records a broadcast and returns its offset. */
  record(broadcast: OutboundBroadcast, now: number): number {
    const offset = ++this.lastOffset;
    const { message, binary, rooms, except } = broadcast;
    this.entries.push({ offset, at: now, message, binary, rooms, except });
    this.bytes += message.length;
    this.prune(now);
    return offset;
  }

  suspend(session: SuspendedSession): void {
    this.sessions.delete(session.token);
    this.sessions.set(session.token, session);
    this.prune(session.disconnectedAt);
  }

  discard(token: string): void {
    this.sessions.delete(token);
  }

  take(token: string, afterOffset: number, owner: string, now: number): SessionTakeResult {
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
    if (afterOffset + 1 < this.oldestOffset()) return { ok: false, reason: 'history-gone' };
    return { ok: true, session };
  }

  missed(session: SuspendedSession, afterOffset: number, now: number): RecordedBroadcast[] | null {
    this.prune(now);
    if (afterOffset + 1 < this.oldestOffset()) return null;
    const missed: RecordedBroadcast[] = [];
    for (let i = this.headIndex; i < this.entries.length; i++) {
      const entry = this.entries[i];
      if (entry.offset > afterOffset && reachedSession(entry, session)) missed.push(entry);
    }
    return missed;
  }

  /** Number of kept broadcasts (for tests and stats). */
  get size(): number {
    return this.entries.length - this.headIndex;
  }

  private oldestOffset(): number {
    return this.headIndex < this.entries.length
      ? this.entries[this.headIndex].offset
      : this.lastOffset + 1;
  }

  private prune(now: number): void {
    while (
      this.headIndex < this.entries.length &&
      (this.entries.length - this.headIndex > this.maxMessages ||
        this.bytes > this.maxBytes ||
        now - this.entries[this.headIndex].at > this.windowMs)
    ) {
      this.bytes -= this.entries[this.headIndex].message.length;
      this.headIndex++;
    }
    // Compact now and then instead of shifting on every drop.
    if (this.headIndex > 1024 && this.headIndex * 2 > this.entries.length) {
      this.entries.splice(0, this.headIndex);
      this.headIndex = 0;
    }
    for (const [token, session] of this.sessions) {
      if (now - session.disconnectedAt <= this.windowMs) break;
      this.sessions.delete(token);
    }
  }
}
