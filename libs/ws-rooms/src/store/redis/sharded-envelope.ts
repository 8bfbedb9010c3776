/**
 * The envelope of every message a node sends on a Redis Cluster (sharded pub/sub), around the
 * message of `redis-wire.ts`. It carries what lets a receiver keep one origin's order across
 * shards (see `sharded-order.ts`):
 *
 * ```
 * 0x53 'S' | version 1 | flags (bit 0: ordered, bit 1: fence) | copies (1-255) |
 * epoch (6 bytes) | sequence (6 bytes) | the wire message (nothing for a fence)
 * ```
 *
 * - `epoch`: random per store instance, so a restarted node with the same id starts afresh;
 * - `sequence`: per epoch, one more for every message sent;
 * - `copies`: how many messages share this sequence. A node-wide broadcast is published once, with
 *   its body, on one shard, and as a bodiless fence on every other shard: a receiver delivers it
 *   once it has all of them, which puts it after everything the origin sent earlier on any shard.
 */
export interface ShardedEnvelope {
  /** False for queries and answers, which need no order. */
  readonly ordered: boolean;
  /** True for a fence: no body, one of the `copies` of a node-wide broadcast. */
  readonly fence: boolean;
  readonly copies: number;
  readonly epoch: number;
  readonly sequence: number;
  /** The wire message (empty for a fence). */
  readonly body: Buffer;
}

/** Bytes of the envelope before the body. */
export const ENVELOPE_BYTES = 16;
const MAGIC = 0x53;
const VERSION = 1;
const ORDERED = 1;
const FENCE = 2;
/** The largest epoch or sequence (48 bits). */
export const MAX_ENVELOPE_NUMBER = 2 ** 48 - 1;

/** Builds an envelope; `body` is copied after the header (an empty one for a fence). */
export function encodeEnvelope(envelope: ShardedEnvelope): Buffer {
  const { ordered, fence, copies, epoch, sequence, body } = envelope;
  const data = Buffer.allocUnsafe(ENVELOPE_BYTES + body.length);
  data[0] = MAGIC;
  data[1] = VERSION;
  data[2] = (ordered ? ORDERED : 0) | (fence ? FENCE : 0);
  data[3] = copies;
  data.writeUIntBE(epoch, 4, 6);
  data.writeUIntBE(sequence, 10, 6);
  body.copy(data, ENVELOPE_BYTES);
  return data;
}

/**
 * Reads an envelope, or null when the bytes are not one (another program's message, or a
 * version this node does not know). The body is a view of `data`, not a copy.
 */
export function decodeEnvelope(data: Buffer): ShardedEnvelope | null {
  if (data.length < ENVELOPE_BYTES || data[0] !== MAGIC || data[1] !== VERSION) return null;
  const flags = data[2];
  const copies = data[3];
  if ((flags & ~(ORDERED | FENCE)) !== 0 || copies === 0) return null;
  const fence = (flags & FENCE) !== 0;
  const body = data.subarray(ENVELOPE_BYTES);
  // A fence has no body and belongs to a message of several copies; anything else has a body.
  if (fence !== (body.length === 0) || (fence && copies < 2)) return null;
  return {
    ordered: (flags & ORDERED) !== 0,
    fence,
    copies,
    epoch: data.readUIntBE(4, 6),
    sequence: data.readUIntBE(10, 6),
    body,
  };
}
