/**
 * A room broadcast as a recovery-enabled client receives it: the reserved event `ws-rooms:m` whose
 * payload is `<offset>;<the original message, bytes unchanged>` (docs/protocol.md, "Reserved events").
 */
export interface WrappedMessage {
  /** The broadcast's position in the server's recovery log: positive, increasing. */
  readonly offset: number;
  /**
   * The original message, prefix included, in the frame's own form: text from a text frame, bytes
   * (a view into the frame, not a copy) from a binary frame. Decode it as any server message.
   */
  readonly message: string | Uint8Array;
}

const SEMICOLON = 0x3b;
const DIGIT_ZERO = 0x30;
const DIGIT_NINE = 0x39;
/** More digits than any safe integer has: the offset field is bounded before it is read. */
const MAX_OFFSET_DIGITS = 16;

/**
 * Cuts the payload of a `ws-rooms:m` message into its offset and the original message. It works on
 * the payload as the codec's `parse` left it, at byte level for binary frames: the original message
 * may be a type-3 event with raw bytes that are not UTF-8, so the payload must never be decoded as
 * text first. Returns `undefined` for a payload without a valid `<offset>;` head.
 */
export function unwrapMessage(payload: string | Uint8Array): WrappedMessage | undefined {
  // Only the head is looked at: a payload without a `;` among its first 17 characters is refused
  // without scanning the rest of it.
  const limit = Math.min(payload.length, MAX_OFFSET_DIGITS + 1);
  let offset = 0;
  let end = -1;
  for (let i = 0; i < limit; i++) {
    const code = typeof payload === 'string' ? payload.charCodeAt(i) : payload[i];
    if (code === SEMICOLON) {
      end = i;
      break;
    }
    if (code < DIGIT_ZERO || code > DIGIT_NINE) return undefined;
    offset = offset * 10 + (code - DIGIT_ZERO);
  }
  if (end <= 0 || offset === 0 || !Number.isSafeInteger(offset)) return undefined;
  const message = typeof payload === 'string' ? payload.slice(end + 1) : payload.subarray(end + 1);
  return { offset, message };
}
