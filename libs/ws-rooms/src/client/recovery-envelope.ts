/**
 * A room broadcast as a recovery-enabled client receives it: the reserved event `ws-rooms:m` whose
 * payload is `<offset>;<the original message, bytes unchanged>` (PROTOCOL.md, ws-rooms extensions).
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
  const end = typeof payload === 'string' ? payload.indexOf(';') : payload.indexOf(SEMICOLON);
  if (end <= 0 || end > MAX_OFFSET_DIGITS) return undefined;
  let offset = 0;
  for (let i = 0; i < end; i++) {
    const digit = typeof payload === 'string' ? payload.charCodeAt(i) : payload[i];
    if (digit < DIGIT_ZERO || digit > DIGIT_NINE) return undefined;
    offset = offset * 10 + (digit - DIGIT_ZERO);
  }
  if (offset === 0 || !Number.isSafeInteger(offset)) return undefined;
  const message = typeof payload === 'string' ? payload.slice(end + 1) : payload.subarray(end + 1);
  return { offset, message };
}
