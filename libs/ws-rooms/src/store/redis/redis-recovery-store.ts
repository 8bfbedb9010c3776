import { describeError } from '../../server/describe-error';
import {
  reaches,
  type RecordedBroadcast,
  type RecoveryFailure,
  type RecoveryStore,
  type SessionTakeResult,
  type SuspendedSession,
} from '../recovery-store.interface';
import type { OutboundBroadcast, RecoveryStoreOptions } from '../room-store.interface';
import { decodeBroadcastBody } from './redis-wire';
import { TAKE_SESSION } from './redis-scripts';
import type { RedisStoreContext } from './redis-store-context';

/**
 * A suspended session stays in Redis this long after its window, so that a late resume is told
 * `expired` rather than `unknown-session`.
 */
const SESSION_GRACE_MS = 60_000;

/** What the room store does for the recovery store: number and publish a broadcast. */
export interface BroadcastSequencer {
  /** Hands a broadcast to the log script; false when Redis cannot take it now. */
  sequence(broadcast: OutboundBroadcast): boolean;
}

/**
 * Recovery across nodes: a client may resume on any node of the cluster.
 * - `<prefix>:log-offset` numbers logged broadcasts; `<prefix>:log` is a Redis stream holding each
 *   one under the id `<offset>-0` (its time, and the broadcast body as published), bounded by
 *   `maxMessages` and by `windowMs` of age;
 * - a script numbers, appends and publishes each broadcast on `<prefix>:logged` in one step, so
 *   every node, the origin included, delivers logged broadcasts in the same order, with offsets
 *   that mean the same everywhere;
 * - `<prefix>:session:<token>` keeps a cut connection's session (id, rooms, owner) for the window.
 *
 * Offsets are contiguous, so a resume checks that the entry right after the client's offset is
 * still in the stream: if it is, nothing in between was trimmed.
 */
export class RedisRecoveryStore implements RecoveryStore {
  private lastSeen = 0;
  /** Logged broadcasts this node did not receive (pub/sub drops messages while reconnecting). */
  gaps = 0;

  constructor(
    private readonly context: RedisStoreContext,
    private readonly options: RecoveryStoreOptions,
    private readonly sequencer: BroadcastSequencer,
  ) {}

  /** Reads the current offset: fresh sessions start after it. */
  async start(): Promise<void> {
    const client = this.context.readyClient();
    if (client === null) return;
    this.observe(Number((await client.get(this.context.keys.logOffset)) ?? 0));
  }

  head(): number {
    return this.lastSeen;
  }

  /** Notes the offset of a logged broadcast this node received. */
  observe(offset: number): void {
    if (this.lastSeen > 0 && offset > this.lastSeen + 1) this.gaps++;
    if (offset > this.lastSeen) this.lastSeen = offset;
  }

  sequence(broadcast: OutboundBroadcast): boolean {
    return this.sequencer.sequence(broadcast);
  }

  async suspend(session: SuspendedSession): Promise<void> {
    const client = this.context.readyClient();
    if (client === null) {
      this.context.failure('recovery', `session ${session.id} not kept: Redis is unavailable`);
      return;
    }
    try {
      await client.set(
        this.context.keys.session(session.token),
        JSON.stringify(session),
        'PX',
        this.options.windowMs + SESSION_GRACE_MS,
      );
    } catch (error) {
      this.context.failure('recovery', `keeping a session failed: ${describeError(error)}`);
    }
  }

  async take(
    token: string,
    afterOffset: number,
    owner: string,
    now: number,
  ): Promise<SessionTakeResult> {
    const client = this.context.readyClient();
    if (client === null) return { ok: false, reason: 'store-unavailable' };
    const valid = Number.isSafeInteger(afterOffset) && afterOffset >= 0;
    const { keys } = this.context;
    let reply: unknown;
    try {
      reply = await TAKE_SESSION.run(
        client,
        [keys.session(token), keys.logOffset, keys.log],
        [
          owner,
          valid ? afterOffset : -1,
          `${valid ? afterOffset + 1 : 1}-0`,
          now,
          this.options.windowMs,
        ],
      );
    } catch (error) {
      this.context.failure('recovery', `resuming a session failed: ${describeError(error)}`);
      return { ok: false, reason: 'store-unavailable' };
    }
    const [status, raw] = reply as [string, string | undefined];
    if (status !== 'ok') return { ok: false, reason: status as RecoveryFailure };
    const session = parseSession(raw);
    return session === null ? { ok: false, reason: 'unknown-session' } : { ok: true, session };
  }

  async missed(
    session: SuspendedSession,
    afterOffset: number,
    now: number,
  ): Promise<readonly RecordedBroadcast[] | null> {
    const client = this.context.readyClient();
    if (client === null) return null;
    const { keys } = this.context;
    // The counter first: an entry logged after it is read still shows in the range read next.
    const head = Number((await client.get(keys.logOffset)) ?? 0);
    const entries = await client.xrangeBuffer(keys.log, `${afterOffset + 1}`, '+');
    if (head > afterOffset) {
      const first = entries[0];
      if (first === undefined || first[0].toString('latin1') !== `${afterOffset + 1}-0`)
        return null;
      if (Number(fieldOf(first[1], 't')) < now - this.options.windowMs) return null;
    }
    const rooms = new Set(session.rooms);
    rooms.add(session.id);
    const missed: RecordedBroadcast[] = [];
    for (const [id, fields] of entries) {
      const body = fieldOf(fields, 'd');
      if (body === undefined) continue;
      const decoded = decodeBroadcastBody(body);
      if (!decoded.ok || !reaches(decoded.broadcast, rooms)) continue;
      const { message, binary, rooms: targets, except } = decoded.broadcast;
      missed.push({
        offset: Number(id.toString('latin1').split('-', 1)[0]),
        at: Number(fieldOf(fields, 't')),
        message,
        binary,
        rooms: targets,
        except,
      });
    }
    return missed;
  }
}

/** A field of a stream entry (`[name, value, name, value, ...]`). */
function fieldOf(fields: readonly Buffer[], name: string): Buffer | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i].toString('latin1') === name) return fields[i + 1];
  }
  return undefined;
}

function parseSession(raw: string | undefined): SuspendedSession | null {
  if (raw === undefined) return null;
  try {
    const value = JSON.parse(raw) as Partial<SuspendedSession>;
    if (
      typeof value.id !== 'string' ||
      typeof value.token !== 'string' ||
      !Array.isArray(value.rooms) ||
      typeof value.disconnectedAt !== 'number' ||
      typeof value.owner !== 'string'
    ) {
      return null;
    }
    return value as SuspendedSession;
  } catch {
    return null;
  }
}
