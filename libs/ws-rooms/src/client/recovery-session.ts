import type { ClientDecodedValue } from './client-codec';
import { withQueryParameters } from './url-query';

/**
 * Why the server could not resume a session (the `reason` of `ws-rooms:session`): the token is
 * unknown (never issued, already used, or the server restarted), the window passed, the log no longer
 * reaches back to the last offset seen, the offset is impossible, the id is held by a live
 * connection, or the server could not reach its shared log (multi-node). A newer server may send
 * other reasons, hence the `string`.
 */
export type RecoveryFailureReason =
  | 'unknown-session'
  | 'expired'
  | 'history-gone'
  | 'invalid-offset'
  | 'id-in-use'
  | 'store-unavailable'
  | (string & Record<never, never>);

/**
 * How a connection's session began:
 * - `'fresh'`: a first connection (no token to resume): a new id, nothing to restore;
 * - `'recovered'`: the server resumed the previous session: same id, rooms given back, and the
 *   missed room messages follow (each exactly once, in order) before live traffic;
 * - `'failed'`: this reconnect tried to resume and could not (see `reason`): a new id, **no rooms and
 *   nothing replayed**. Server-side state is lost; the app must rejoin its rooms and reload state.
 */
export type RecoveryStatus = 'fresh' | 'recovered' | 'failed';

/** What `onRecovery` listeners learn after each (re)connection's session message. */
export interface RecoveryResult {
  readonly status: RecoveryStatus;
  /** `status === 'recovered'`. */
  readonly recovered: boolean;
  /** Why the resume failed; present only when `status === 'failed'`. */
  readonly reason?: RecoveryFailureReason;
  /** The connection id the server assigned (the previous one when recovered). */
  readonly id: string;
  /** The id of the session that could not be resumed; present only when `status === 'failed'`. */
  readonly previousId?: string;
}

/** The query parameters of the recovery handshake (read by the server's `resumeRequested`). */
export const RecoveryQuery = {
  OptIn: 'ws-rooms-recovery',
  Session: 'ws-rooms-session',
  Offset: 'ws-rooms-offset',
  /** The previous connection id: lets a server end that connection if it has not noticed the cut. */
  Id: 'ws-rooms-id',
} as const;

/**
 * The client's side of missed-message recovery: the server-assigned id, the session token, and the
 * offset of the last room broadcast delivered. It puts the opt-in (and, once it has a session, the
 * token and offset) into every connection URL, reads the server's `ws-rooms:session` answer, and
 * filters wrapped broadcasts so that each offset is delivered at most once.
 */
export class RecoverySession {
  private currentId: string | undefined = undefined;
  private token: string | undefined = undefined;
  private lastOffset = 0;

  /** The server-assigned id of the current (or last) session. */
  get id(): string | undefined {
    return this.currentId;
  }

  /** The offset of the last room broadcast delivered (0 before any). */
  get offset(): number {
    return this.lastOffset;
  }

  /** True when the next connection will try to resume a session. */
  get resumable(): boolean {
    return this.token !== undefined;
  }

  /**
   * Adds the recovery parameters to a connection URL, keeping its other query parameters and its
   * fragment; parameters of the same names already in the URL are replaced.
   */
  decorate(url: string): string {
    const ours = [`${RecoveryQuery.OptIn}=1`];
    if (this.token !== undefined) {
      ours.push(
        `${RecoveryQuery.Session}=${encodeURIComponent(this.token)}`,
        `${RecoveryQuery.Offset}=${this.lastOffset}`,
      );
      if (this.currentId !== undefined) {
        ours.push(`${RecoveryQuery.Id}=${encodeURIComponent(this.currentId)}`);
      }
    }
    return withQueryParameters(url, isRecoveryParameter, ours);
  }

  /**
   * Applies the server's `ws-rooms:session` payload: `{ id, token, offset, recovered: false,
   * reason? }` starts over from the baseline `offset` (a restarted server counts from 0 again, so the
   * old offset must go); `{ id, token, recovered: true }` keeps the offset, since the missed messages
   * follow with higher ones. Returns `undefined` for a payload of the wrong shape (nothing changes).
   */
  apply(payload: ClientDecodedValue): RecoveryResult | undefined {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
    if (payload instanceof Uint8Array) return undefined;
    const { id, token, offset, recovered, reason } = payload as Record<string, unknown>;
    if (typeof id !== 'string' || id.length === 0 || typeof token !== 'string') return undefined;
    if (recovered === true) {
      this.currentId = id;
      this.token = token;
      return { status: 'recovered', recovered: true, id };
    }
    if (recovered !== false || !isOffset(offset)) return undefined;
    const attempted = this.token !== undefined;
    const previousId = this.currentId;
    this.currentId = id;
    this.token = token;
    this.lastOffset = offset;
    if (!attempted) return { status: 'fresh', recovered: false, id };
    const result: { -readonly [K in keyof RecoveryResult]: RecoveryResult[K] } = {
      status: 'failed',
      recovered: false,
      reason: typeof reason === 'string' ? reason : 'unknown',
      id,
    };
    if (previousId !== undefined) result.previousId = previousId;
    return result;
  }

  /**
   * Exactly-once delivery: true (and the offset is recorded) when a wrapped broadcast is newer than
   * every one delivered so far; false for a duplicate or an older one, which must be dropped.
   */
  accept(offset: number): boolean {
    if (offset <= this.lastOffset) return false;
    this.lastOffset = offset;
    return true;
  }

  /** Forgets the session (after a deliberate `close()`, the server keeps nothing to resume). */
  reset(): void {
    this.token = undefined;
    this.lastOffset = 0;
  }
}

function isRecoveryParameter(name: string): boolean {
  return (
    name === RecoveryQuery.OptIn ||
    name === RecoveryQuery.Session ||
    name === RecoveryQuery.Offset ||
    name === RecoveryQuery.Id
  );
}

function isOffset(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
