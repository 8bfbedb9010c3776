import type { IncomingMessage } from 'node:http';
import type { Connection } from '../../connection/connection';
import type { RecoveryState } from '../../connection/connection-state';
import { frameMessage } from '../../protocol/frame';
import { ReservedEvent } from '../../protocol/protocol.constants';
import { encodeRecoveredMessage } from '../../protocol/recovered-message';
import type {
  RecordedBroadcast,
  RecoveryFailure,
  RecoveryStore,
  SuspendedSession,
} from '../../store/recovery-store.interface';
import type { RemoteCommand } from '../../store/room-store.interface';
import { after, isPromiseLike } from '../../util/maybe-promise';
import { newSessionToken } from '../../store/recovery-log';
import type { WsRoomsStats } from '../server-stats';
import type { MembershipPort } from './membership-port';
import type {
  ConnectionEnd,
  DeliveryHook,
  RecipientSender,
  ServerExtension,
} from './server-extension';
import type { SessionBudget } from './session-budget';

/** A recovery request read from the upgrade URL: a resumable session, or why there is none. */
export type ResumeRequest =
  | {
      readonly ok: true;
      readonly session: SuspendedSession;
      /** The last offset the client saw. */
      readonly afterOffset: number;
    }
  | { readonly ok: false; readonly reason: RecoveryFailure | null };

/** What the recovery extension needs from the endpoint. */
export interface RecoveryPorts {
  readonly membership: MembershipPort;
  readonly stats: WsRoomsStats;
  readonly maxBufferedBytes: number;
  readonly messagePrefix: string;
  /** Timestamps the log compares (wall clock for a shared log, monotonic for the memory one). */
  now(): number;
  hasConnection(id: string): boolean;
  command(command: RemoteCommand): Promise<boolean>;
  cutSlowConsumer(connection: Connection, why: string): void;
  track(result: unknown): void;
  failed(what: string, error: unknown): void;
  /** The connection is back in its rooms, after its replay: presence announces it again. */
  resumed(
    connection: Connection,
    rooms: readonly string[],
    ready: Promise<unknown> | undefined,
  ): void;
}

/**
 * Missed-message recovery (the `recovery` option): sessions for opted-in clients, numbering of
 * broadcasts (or a shared log's numbering), the replay of what a resuming client missed, and the
 * broadcasts held back while that replay is read. Delivery and close know it only through hooks.
 */
export class RecoveryExtension implements ServerExtension, DeliveryHook {
  constructor(
    private readonly log: RecoveryStore,
    private readonly budget: SessionBudget,
    private readonly ports: RecoveryPorts,
  ) {}

  /**
   * Reads the recovery request of the modern client from the upgrade URL:
   * `ws-rooms-recovery=1` opts in; `ws-rooms-session=<token>&ws-rooms-offset=<n>` resumes.
   * Returns null when the client did not opt in.
   */
  async resumeRequested(request: IncomingMessage, owner: string): Promise<ResumeRequest | null> {
    const url = request.url ?? '';
    if (!url.includes('ws-rooms-recovery=')) return null;
    const query = new URL(url, 'http://localhost').searchParams;
    if (query.get('ws-rooms-recovery') !== '1') return null;
    const token = query.get('ws-rooms-session');
    if (token === null) return { ok: false, reason: null };
    const afterOffset = Number(query.get('ws-rooms-offset') ?? 'NaN');
    let result = await this.log.take(token, afterOffset, owner, this.ports.now());
    // The client noticed the cut before its server did: the old connection still holds the session.
    const previousId = query.get('ws-rooms-id');
    if (!result.ok && result.reason === 'unknown-session' && previousId) {
      const command = { kind: 'takeover', connectionId: previousId, token, owner } as const;
      if (await this.ports.command(command)) {
        result = await this.log.take(token, afterOffset, owner, this.ports.now());
      }
    }
    if (!result.ok) return { ok: false, reason: result.reason };
    this.budget.remove(token);
    if (this.ports.hasConnection(result.session.id)) return { ok: false, reason: 'id-in-use' };
    return { ok: true, session: result.session, afterOffset };
  }

  /** True when a takeover command names this connection's session and owner. */
  matchesTakeover(connection: Connection, token: string, owner: string): boolean {
    return connection.recovery?.token === token && ownerKey(connection.principal) === owner;
  }

  /**
   * Tells an opted-in client its session (`ws-rooms:session`) and, when it resumed within the
   * window, gives back its rooms and replays what it missed, before any other message. With an
   * asynchronous log the replay is read once the connection is in its rooms again; broadcasts that
   * arrive meanwhile are held back and sent after it, those already replayed dropped by offset.
   * Returns a promise while the replay is pending.
   */
  accepted(connection: Connection, resume: ResumeRequest): Promise<void> | undefined {
    const state: RecoveryState = {
      token: resume.ok ? resume.session.token : newSessionToken(),
      recovered: false,
      heldBack: undefined,
      joinedAt: undefined,
    };
    connection.recovery = state;
    if (!resume.ok) {
      this.announceFresh(connection, resume.reason);
      return undefined;
    }
    const { session, afterOffset } = resume;
    state.heldBack = { frames: [], bytes: 0 };
    state.joinedAt = new Map(Object.entries(session.joinedAt ?? {}));
    const routed = session.rooms.map((room) => this.ports.membership.restore(connection, room));
    for (const result of routed) this.ports.track(result);
    const replayed = after(this.log.missed(session, afterOffset, this.ports.now()), (missed) =>
      this.finish(connection, session, missed, routed),
    );
    if (!(replayed instanceof Promise)) return undefined;
    return replayed.catch((error: unknown) => {
      this.ports.failed(`recovery of ${connection.id}`, error);
      this.finish(connection, session, null, routed);
    });
  }

  joined(connection: Connection, room: string): undefined {
    // What the room said before now was never this connection's: a replay must skip it.
    const state = connection.recovery;
    if (state !== undefined) (state.joinedAt ??= new Map()).set(room, this.log.head());
    return undefined;
  }

  left(connection: Connection, room: string): undefined {
    connection.recovery?.joinedAt?.delete(room);
    return undefined;
  }

  /** Keeps the session of a connection that may come back; resolves once it is kept. */
  ended(connection: Connection, end: ConnectionEnd): Promise<void> | undefined {
    const state = connection.recovery;
    if (state === undefined || !end.resumable) return undefined;
    const session: SuspendedSession = {
      id: connection.id,
      token: state.token,
      rooms: end.rooms,
      joinedAt: state.joinedAt && Object.fromEntries(state.joinedAt),
      disconnectedAt: this.ports.now(),
      owner: ownerKey(connection.principal),
    };
    let keptItself = true;
    for (const token of this.budget.add(session.token, connection.limiterKey, sizeOf(session))) {
      if (token === session.token) keptItself = false;
      else this.ports.track(this.log.discard?.(token));
    }
    // A session larger than the whole budget is not kept at all: the client starts afresh.
    if (!keptItself) return undefined;
    const suspended = this.log.suspend(session);
    if (!isPromiseLike(suspended)) return undefined;
    const kept = Promise.resolve(suspended);
    this.ports.track(kept);
    return kept;
  }

  publishing(broadcast: Parameters<DeliveryHook['publishing']>[0]): boolean {
    // A sequenced log numbers the broadcast cluster-wide and delivers it back here with its offset.
    return this.log.sequence?.(broadcast) === true;
  }

  delivering(
    broadcast: Parameters<DeliveryHook['delivering']>[0],
    frame: Buffer,
    offset: number | undefined,
  ): RecipientSender | undefined {
    if (offset === undefined && !broadcast.volatile && this.log.record !== undefined) {
      offset = this.log.record(broadcast, this.ports.now());
    }
    let wrapped: Buffer | undefined;
    const isVolatile = broadcast.volatile;
    return (connection) => {
      const state = connection.recovery;
      if (state === undefined) return undefined;
      let bytes = frame;
      if (offset !== undefined) {
        bytes = wrapped ??= this.wrappedFrame({ offset, ...broadcast });
      }
      if (state.heldBack !== undefined) {
        this.holdBack(connection, state, bytes, offset, isVolatile);
        return false;
      }
      if (connection.sendFrame(bytes, isVolatile)) return true;
      if (isVolatile) this.ports.stats.volatileDrops++;
      return false;
    };
  }

  private announceFresh(connection: Connection, reason: RecoveryFailure | null): void {
    const session: Record<string, unknown> = {
      id: connection.id,
      token: connection.recovery!.token,
      offset: this.log.head(),
      recovered: false,
    };
    if (reason !== null) session.reason = reason;
    connection.emit(ReservedEvent.Session, session);
  }

  private finish(
    connection: Connection,
    session: SuspendedSession,
    missed: readonly RecordedBroadcast[] | null,
    routed: readonly unknown[],
  ): void {
    const state = connection.recovery!;
    const held = state.heldBack?.frames ?? [];
    state.heldBack = undefined;
    if (connection.closed) return;
    if (missed === null) {
      // The log lost part of the gap since the session was taken: start over, like a fresh session.
      state.joinedAt = undefined;
      for (const room of session.rooms) this.ports.membership.forget(connection, room);
      this.announceFresh(connection, 'history-gone');
      return;
    }
    state.recovered = true;
    connection.emit(ReservedEvent.Session, {
      id: connection.id,
      token: state.token,
      recovered: true,
    });
    let lastOffset = 0;
    for (const entry of missed) {
      connection.sendFrame(this.wrappedFrame(entry), false);
      lastOffset = entry.offset;
    }
    const stats = this.ports.stats;
    for (const frame of held) {
      if (frame.offset !== undefined && frame.offset <= lastOffset) continue;
      if (connection.sendFrame(frame.bytes, frame.volatile)) {
        stats.messagesOut++;
        stats.bytesOut += frame.bytes.length;
      }
    }
    const ready = routed.some(isPromiseLike) ? Promise.all(routed) : undefined;
    this.ports.resumed(connection, session.rooms, ready);
  }

  /** Keeps a broadcast for a connection whose replay is still being read; bounded like a send queue. */
  private holdBack(
    connection: Connection,
    state: RecoveryState,
    bytes: Buffer,
    offset: number | undefined,
    isVolatile: boolean,
  ): void {
    const heldBack = state.heldBack!;
    if (heldBack.bytes + bytes.length > this.ports.maxBufferedBytes) {
      if (isVolatile) this.ports.stats.volatileDrops++;
      else
        this.ports.cutSlowConsumer(
          connection,
          'held-back messages over maxBufferedBytes during recovery',
        );
      return;
    }
    // Counted when sent: some are dropped as already replayed.
    heldBack.frames.push({ bytes, offset, volatile: isVolatile });
    heldBack.bytes += bytes.length;
  }

  private wrappedFrame(entry: Pick<RecordedBroadcast, 'offset' | 'message' | 'binary'>): Buffer {
    return frameMessage(
      encodeRecoveredMessage(this.ports.messagePrefix, entry.offset, entry.message),
      entry.binary,
    );
  }
}

/** A principal as recovery compares it: its JSON form (no principal: the empty string). */
export function ownerKey(principal: unknown): string {
  if (principal === undefined || principal === null) return '';
  try {
    return JSON.stringify(principal) ?? '';
  } catch {
    // A principal JSON cannot represent is only ever the same as itself: never recoverable.
    return `unserialisable:${Math.random()}`;
  }
}

/** What a kept session costs, roughly, in bytes: its strings plus a fixed overhead per room. */
function sizeOf(session: SuspendedSession): number {
  let bytes = 128 + session.id.length + session.token.length + session.owner.length;
  for (const room of session.rooms) bytes += 48 + room.length * 2;
  return bytes;
}
