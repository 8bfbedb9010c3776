import { describeError } from '../../util/describe-error';
import {
  reachedSession,
  type RecordedBroadcast,
  type RecoveryFailure,
  type RecoveryStore,
  type SessionTakeResult,
  type SuspendedSession,
} from '../recovery-store.interface';
import type { OutboundBroadcast, RecoveryStoreOptions } from '../room-store.interface';
import { decodeBroadcastBody, WireErrorCode } from './redis-wire';
import { utf8Within } from './redis-wire-limits';
import type { RedisClient } from './redis-client';
import { READ_LOG_OFFSET, TAKE_SESSION } from './redis-scripts';
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
 * - `<keyPrefix>:log-offset` numbers logged broadcasts; `<keyPrefix>:log` is a Redis stream holding each
 *   one under the id `<offset>-0` (its time, and the broadcast body as published), bounded by
 *   `maxMessages` and by `windowMs` of age;
 * - a script numbers, appends and publishes each broadcast on `<keyPrefix>:logged` in one step, so
 *   every node, the origin included, delivers logged broadcasts in the same order, with offsets
 *   that mean the same everywhere;
 * - `<keyPrefix>:session:<token>` keeps a cut connection's session (id, rooms, owner) for the window.
 *
 * Offsets are contiguous, so a resume checks that the entry right after the client's offset is
 * still in the stream: if it is, nothing in between was trimmed.
 */
export class RedisRecoveryStore implements RecoveryStore {
  /** The offset of the last logged broadcast delivered here; null before the counter was read. */
  private lastSeen: number | null = null;
  /** Logged broadcasts that arrived while a gap was being filled from the stream, in order. */
  private held: { readonly offset: number; readonly broadcast: OutboundBroadcast }[] | null = null;

  constructor(
    private readonly context: RedisStoreContext,
    private readonly options: RecoveryStoreOptions,
    private readonly sequencer: BroadcastSequencer,
    /** Delivers a logged broadcast to this node's connections. */
    private readonly deliver: (broadcast: OutboundBroadcast, offset: number) => void,
  ) {}

  /** Reads the current offset (creating the counter if needed): fresh sessions start after it. */
  async start(): Promise<void> {
    const client = this.context.readyClient();
    if (client === null) return;
    const { logOffset } = this.context.keys;
    const head = Number(await READ_LOG_OFFSET.run(client, [logOffset], [this.lastSeen ?? 0]));
    // A broadcast may have come through already: never go back.
    this.lastSeen = Math.max(this.lastSeen ?? 0, head);
  }

  head(): number {
    return this.lastSeen ?? 0;
  }

  /**
   * Delivers a logged broadcast that came through `<keyPrefix>:logged`, in offset order and once.
   * Pub/sub drops what is published while a subscriber reconnects: a broadcast beyond the next
   * offset means some were missed, and they are read from the stream and delivered first (those the
   * stream no longer has are counted in `stats.logGaps`).
   */
  receive(offset: number, broadcast: OutboundBroadcast): void {
    if (this.held !== null) {
      // Beyond the bound it is dropped here; the next fill finds it in the log.
      if (this.held.length < MAX_HELD_DURING_FILL) this.held.push({ offset, broadcast });
      return;
    }
    if (this.lastSeen === null) {
      // Before the counter was read: this broadcast is where this node starts.
      this.lastSeen = offset;
      this.deliver(broadcast, offset);
      return;
    }
    if (offset <= this.lastSeen) return; // already delivered from the stream
    if (offset > this.lastSeen + 1) {
      this.held = [{ offset, broadcast }];
      void this.fill(this.lastSeen + 1, offset - 1);
      return;
    }
    this.lastSeen = offset;
    this.deliver(broadcast, offset);
  }

  /**
   * After the connection to Redis came back: raises the counter to this node's last offset (a
   * Redis that lost its data must not hand out offsets again) and delivers what was logged while
   * this node was not listening.
   */
  async catchUp(): Promise<void> {
    const client = this.context.readyClient();
    const lastSeen = this.lastSeen;
    if (client === null || lastSeen === null || this.held !== null) return;
    const head = Number(
      await READ_LOG_OFFSET.run(client, [this.context.keys.logOffset], [lastSeen]),
    );
    if (head <= lastSeen || this.held !== null || this.lastSeen !== lastSeen) return;
    this.held = [];
    await this.fill(lastSeen + 1, head);
  }

  private async fill(from: number, to: number): Promise<void> {
    let entries: StreamEntry[] = [];
    const client = this.context.readyClient();
    try {
      if (client !== null) entries = await readEntries(client, this.context, from, to);
    } catch (error) {
      this.context.failure('log', `reading missed broadcasts failed: ${describeError(error)}`);
    }
    let complete = true;
    let lastSeen = this.lastSeen ?? from - 1;
    for (const entry of entries) {
      if (entry.offset <= lastSeen) continue;
      if (entry.offset > lastSeen + 1) complete = false;
      lastSeen = entry.offset;
      this.context.stats.logCaughtUp++;
      this.deliver(entry.broadcast, entry.offset);
    }
    if (lastSeen < to) complete = false;
    this.lastSeen = Math.max(lastSeen, to);
    // Counted once per hole, not per offset: after Redis lost its data offsets jump by far more.
    if (!complete) this.context.stats.logGaps++;
    const held = this.held ?? [];
    this.held = null;
    for (const { offset, broadcast } of held) this.receive(offset, broadcast);
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
    const session = parseSession(raw, this.context);
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
    const entries = await readEntries(client, this.context, afterOffset + 1, '+');
    if (head > afterOffset) {
      const first = entries[0];
      if (first === undefined || first.offset !== afterOffset + 1) return null;
      if (first.at < now - this.options.windowMs) return null;
    }
    const missed: RecordedBroadcast[] = [];
    for (const { offset, at, broadcast } of entries) {
      if (reachedSession({ offset, ...broadcast }, session))
        missed.push({ offset, at, ...broadcast });
    }
    return missed;
  }
}

/** Most broadcasts held back while a gap is filled (beyond, they are read from the log later). */
const MAX_HELD_DURING_FILL = 10_000;

/** A decoded entry of the log stream. */
interface StreamEntry {
  readonly offset: number;
  readonly at: number;
  readonly broadcast: OutboundBroadcast;
}

/**
 * Reads and decodes the log entries with offsets from `from` to `to`; undecodable ones, and those
 * beyond the wire limits, are skipped and counted.
 */
async function readEntries(
  client: RedisClient,
  context: Pick<RedisStoreContext, 'keys' | 'limits' | 'stats'>,
  from: number,
  to: number | '+',
): Promise<StreamEntry[]> {
  const raw = await client.xrangeBuffer(context.keys.log, `${from}`, `${to}`);
  const entries: StreamEntry[] = [];
  for (const [id, fields] of raw) {
    const body = fieldOf(fields, 'd');
    const decoded = body === undefined ? null : decodeBroadcastBody(body, context.limits);
    if (decoded === null || !decoded.ok) {
      if (decoded?.error.code === WireErrorCode.OverLimit) context.stats.messagesOverLimits++;
      else context.stats.malformedMessages++;
      continue;
    }
    entries.push({
      offset: Number(id.toString('latin1').split('-', 1)[0]),
      at: Number(fieldOf(fields, 't')),
      broadcast: decoded.broadcast,
    });
  }
  return entries;
}

/** A field of a stream entry (`[name, value, name, value, ...]`). */
function fieldOf(fields: readonly Buffer[], name: string): Buffer | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i].toString('latin1') === name) return fields[i + 1];
  }
  return undefined;
}

/**
 * A session as another node kept it, or null (counted) when it is not one or breaks the wire
 * limits. Only the known fields are kept: nothing else another node wrote travels on.
 */
function parseSession(
  raw: string | undefined,
  context: Pick<RedisStoreContext, 'limits' | 'stats'>,
): SuspendedSession | null {
  if (raw === undefined) return null;
  const { limits, stats } = context;
  if (!utf8Within(raw, limits.maxMessageBytes)) {
    stats.messagesOverLimits++;
    return null;
  }
  let value: Partial<Record<keyof SuspendedSession, unknown>>;
  try {
    value = JSON.parse(raw) as typeof value;
  } catch {
    stats.malformedMessages++;
    return null;
  }
  const { id, token, rooms, disconnectedAt, owner, joinedAt } = value;
  if (
    typeof id !== 'string' ||
    typeof token !== 'string' ||
    !Array.isArray(rooms) ||
    !rooms.every((room): room is string => typeof room === 'string') ||
    typeof disconnectedAt !== 'number' ||
    typeof owner !== 'string' ||
    !isOffsetRecord(joinedAt)
  ) {
    stats.malformedMessages++;
    return null;
  }
  if (
    !utf8Within(id, limits.maxNameBytes) ||
    !utf8Within(token, limits.maxNameBytes) ||
    rooms.length > limits.maxListLength ||
    !rooms.every((room) => utf8Within(room, limits.maxNameBytes)) ||
    !utf8Within(owner, limits.maxTextBytes) ||
    (joinedAt !== undefined && Object.keys(joinedAt).length > limits.maxListLength)
  ) {
    stats.messagesOverLimits++;
    return null;
  }
  const session: SuspendedSession = { id, token, rooms, disconnectedAt, owner };
  return joinedAt === undefined ? session : { ...session, joinedAt };
}

function isOffsetRecord(value: unknown): value is Readonly<Record<string, number>> | undefined {
  if (value === undefined) return true;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every((offset) => Number.isSafeInteger(offset));
}
