import type { ShardedEnvelope } from './sharded-envelope';

/** Node-wide broadcasts remembered per origin as released without their body. */
const MAX_BODILESS = 64;

/** Where {@link ShardedOrder} hands what it releases, and what it reports. */
export interface ShardedOrderPorts {
  /** A message, in its origin's order. */
  deliver(channel: Buffer, body: Buffer): void;
  /** A node-wide broadcast delivered without all its fences (one was lost, or is late). */
  timedOut(): void;
  /** Something dropped: a late fence, a fence whose body never came, an overflow of the hold. */
  dropped(reason: 'late' | 'no-body' | 'overflow'): void;
  /** The body of a node-wide broadcast released without it came after all: delivered late. */
  late(): void;
}

/** Bounds of {@link ShardedOrder}. */
export interface ShardedOrderLimits {
  /** How long the fences of one node-wide broadcast are awaited before it is delivered anyway. */
  readonly fenceTimeoutMs: number;
  /** Messages held per origin behind an incomplete node-wide broadcast. */
  readonly maxHeld: number;
  /** Bytes of bodies held, all origins together (beyond, the receiving origin is released early). */
  readonly maxHeldBytes: number;
  /** Origins remembered (their last node-wide broadcast, to drop its late fences). */
  readonly maxOrigins: number;
}

/** A message held back, or a node-wide broadcast being assembled. */
interface Held {
  readonly sequence: number;
  /** Copies expected: 1 for a single message, the fence count for a node-wide one. */
  readonly copies: number;
  got: number;
  channel: Buffer | null;
  body: Buffer | null;
  readonly since: number;
}

/** What is known of one origin (one epoch of one node). */
interface Origin {
  /** Held messages by sequence, ascending; the first is always an incomplete node-wide broadcast. */
  readonly held: Held[];
  /** The highest node-wide broadcast delivered (its late fences are dropped). */
  lastBarrier: number;
  /** Node-wide broadcasts released without their body (its master was late): delivered if it comes. */
  readonly bodiless: Set<number>;
  timer: NodeJS.Timeout | null;
}

/**
 * Keeps the order of one origin's messages across shards. Redis keeps the order of one
 * connection's publishes on one shard for one subscriber connection of that shard; across shards
 * there is none. A message for one room or one connection goes to one shard, and is delivered as
 * it arrives (unless held, below). A node-wide broadcast (everyone, several rooms) is published with
 * its body on one shard and as a fence on every other one, all under one sequence: it is delivered
 * when every copy arrived, so after whatever the origin sent before on any shard; and whatever
 * arrives from that origin with a later sequence meanwhile is held until it is delivered.
 *
 * Every copy of a node-wide broadcast precedes, on its shard, what the origin sent after it there:
 * a receiver therefore knows of a node-wide broadcast before any later message of that origin, and
 * the rule needs no other bookkeeping. Bounded: a broadcast waits at most `fenceTimeoutMs` for its
 * fences (then is delivered, counted), at most `maxHeld` messages are held per origin (beyond, the
 * oldest broadcast is released early), and at most `maxOrigins` origins are remembered.
 */
export class ShardedOrder {
  private readonly origins = new Map<number, Origin>();
  private heldBytes = 0;

  constructor(
    private readonly limits: ShardedOrderLimits,
    private readonly ports: ShardedOrderPorts,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Origins with messages held right now. */
  get holding(): number {
    let count = 0;
    for (const origin of this.origins.values()) if (origin.held.length > 0) count++;
    return count;
  }

  /** Takes one message received on `channel`. */
  receive(channel: Buffer, envelope: ShardedEnvelope): void {
    if (!envelope.ordered) return this.ports.deliver(channel, envelope.body);
    const origin = this.origin(envelope.epoch);
    if (envelope.copies > 1) this.copy(origin, channel, envelope);
    else this.single(origin, channel, envelope);
    this.drain(envelope.epoch, origin);
  }

  /** Bytes of the bodies held right now. */
  get bytes(): number {
    return this.heldBytes;
  }

  /** Forgets everything held, without delivering it (the store is closing). */
  clear(): void {
    for (const origin of this.origins.values()) if (origin.timer) clearTimeout(origin.timer);
    this.origins.clear();
    this.heldBytes = 0;
  }

  private single(origin: Origin, channel: Buffer, envelope: ShardedEnvelope): void {
    const first = origin.held[0];
    // Nothing incomplete before it: in order already.
    if (first === undefined || first.sequence > envelope.sequence) {
      return this.ports.deliver(channel, envelope.body);
    }
    this.hold(origin, {
      sequence: envelope.sequence,
      copies: 1,
      got: 1,
      channel,
      body: envelope.body,
      since: this.now(),
    });
  }

  private copy(origin: Origin, channel: Buffer, envelope: ShardedEnvelope): void {
    const { sequence } = envelope;
    if (sequence <= origin.lastBarrier) {
      // Its fences timed out before its body came: late, out of order, but not lost.
      if (!envelope.fence && origin.bodiless.delete(sequence)) {
        this.ports.late();
        return this.ports.deliver(channel, envelope.body);
      }
      return this.ports.dropped('late');
    }
    let entry = origin.held.find((held) => held.sequence === sequence);
    if (entry === undefined) {
      entry = {
        sequence,
        copies: envelope.copies,
        got: 0,
        channel: null,
        body: null,
        since: this.now(),
      };
      this.hold(origin, entry);
    }
    entry.got++;
    if (!envelope.fence && entry.body === null) {
      entry.channel = channel;
      entry.body = envelope.body;
      this.heldBytes += entry.body.length;
      this.bound(origin);
    }
  }

  /** Inserts by sequence (nearly always at the end); beyond the bound the oldest is released. */
  private hold(origin: Origin, entry: Held): void {
    const { held } = origin;
    if (held.length >= this.limits.maxHeld) {
      this.ports.dropped('overflow');
      held[0].got = held[0].copies; // released now, whatever is missing
      this.release(origin);
    }
    let index = held.length;
    while (index > 0 && held[index - 1].sequence > entry.sequence) index--;
    held.splice(index, 0, entry);
    if (entry.body !== null) {
      this.heldBytes += entry.body.length;
      this.bound(origin);
    }
  }

  /** Beyond `maxHeldBytes`, this origin's held messages are released, in order, whatever is missing. */
  private bound(origin: Origin): void {
    if (this.heldBytes <= this.limits.maxHeldBytes || origin.held.length === 0) return;
    this.ports.dropped('overflow');
    while (this.heldBytes > this.limits.maxHeldBytes && origin.held.length > 0) {
      origin.held[0].got = origin.held[0].copies;
      this.release(origin);
    }
  }

  /** Delivers from the front while complete. */
  private drain(epoch: number, origin: Origin): void {
    this.release(origin);
    if (origin.timer !== null) {
      clearTimeout(origin.timer);
      origin.timer = null;
    }
    const first = origin.held[0];
    if (first !== undefined) {
      const wait = Math.max(0, first.since + this.limits.fenceTimeoutMs - this.now());
      origin.timer = setTimeout(() => this.expire(epoch, first), wait);
      origin.timer.unref();
    }
  }

  private release(origin: Origin): void {
    const { held } = origin;
    while (held.length > 0 && held[0].got >= held[0].copies) {
      const entry = held.shift()!;
      if (entry.body !== null) this.heldBytes -= entry.body.length;
      if (entry.copies > 1) origin.lastBarrier = Math.max(origin.lastBarrier, entry.sequence);
      if (entry.body === null || entry.channel === null) {
        this.ports.dropped('no-body');
        origin.bodiless.add(entry.sequence);
        // Bounded: the oldest is forgotten (its body, if it ever comes, is then dropped).
        if (origin.bodiless.size > MAX_BODILESS) {
          origin.bodiless.delete(origin.bodiless.values().next().value!);
        }
      } else this.ports.deliver(entry.channel, entry.body);
    }
  }

  /** The fences of the first held broadcast did not all come in time: deliver it anyway. */
  private expire(epoch: number, entry: Held): void {
    const origin = this.origins.get(epoch);
    if (origin === undefined) return;
    origin.timer = null;
    if (origin.held[0] === entry && entry.got < entry.copies) {
      entry.got = entry.copies;
      this.ports.timedOut();
    }
    this.drain(epoch, origin);
  }

  private origin(epoch: number): Origin {
    let origin = this.origins.get(epoch);
    if (origin !== undefined) {
      // Most recently used last: the first entries are the ones to forget.
      this.origins.delete(epoch);
      this.origins.set(epoch, origin);
      return origin;
    }
    if (this.origins.size >= this.limits.maxOrigins) this.forgetOne();
    origin = { held: [], lastBarrier: -1, bodiless: new Set(), timer: null };
    this.origins.set(epoch, origin);
    return origin;
  }

  /** Forgets the least recently used origin, preferably one holding nothing (else it is flushed). */
  private forgetOne(): void {
    let victim: number | undefined;
    for (const [epoch, state] of this.origins) {
      victim ??= epoch;
      if (state.held.length === 0) {
        victim = epoch;
        break;
      }
    }
    const state = this.origins.get(victim!)!;
    for (const entry of state.held) entry.got = entry.copies;
    if (state.held.length > 0) this.ports.dropped('overflow');
    this.release(state);
    if (state.timer !== null) clearTimeout(state.timer);
    this.origins.delete(victim!);
  }
}
