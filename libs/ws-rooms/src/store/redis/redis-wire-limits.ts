/**
 * The bounds every message from another node is held to. Other nodes are trusted to run ws-rooms,
 * not to be bug-free, up to date or uncompromised, and anything else that can publish on the
 * channels reaches the same parser: a message beyond one of these bounds is dropped and counted
 * (`stats.messagesOverLimits`), never parsed further. Each bound is far above what a valid message
 * of this version carries, so valid messages are unaffected.
 */
export interface WireLimits {
  /** Bytes of one message, header included (the store's `maxMessageBytes` option). */
  readonly maxMessageBytes: number;
  /** Names in a broadcast's or a request's `rooms` or `except` list. */
  readonly maxTargets: number;
  /** Entries of one list of a reply: members, rooms, a report's replies, errors or silences. */
  readonly maxListLength: number;
  /** UTF-8 bytes of one name: a room, a connection id, an event, a session token, an error code. */
  readonly maxNameBytes: number;
  /** UTF-8 bytes of one free text: a reported error's message, a session's owner. */
  readonly maxTextBytes: number;
  /** Nesting depth of a JSON body, the envelope's own objects and arrays included. */
  readonly maxJsonDepth: number;
}

/** The default `maxMessageBytes` of the store: 16 MiB, as much as it lets Redis owe it. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** The limits of this version; the store replaces `maxMessageBytes` with its option. */
export const DEFAULT_WIRE_LIMITS: WireLimits = Object.freeze({
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  maxTargets: 10_000,
  maxListLength: 1_000_000,
  maxNameBytes: 4096,
  maxTextBytes: 65_536,
  // The envelope takes at most 5 levels (a report's reply value); app values get the rest, more
  // than the server's default `maxJsonDepth` (32) for what clients send.
  maxJsonDepth: 64,
});

/** Longest timer Node.js keeps: a request timeout beyond it would fire at once. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/** Longest close reason a websocket close frame can carry (RFC 6455: 125 bytes minus the code). */
export const MAX_CLOSE_REASON_BYTES = 123;

/** True for the close codes an application may send: 1000, or 3000 to 4999. */
export function isApplicationCloseCode(value: unknown): value is number {
  return (
    value === 1000 ||
    (Number.isInteger(value) && (value as number) >= 3000 && (value as number) <= 4999)
  );
}

/**
 * True when the UTF-8 encoding of `text` takes at most `maxBytes`. Counts only when the length in
 * UTF-16 units cannot decide it (a unit takes 1 to 3 bytes), so a long string is refused at once.
 */
export function utf8Within(text: string, maxBytes: number): boolean {
  if (text.length > maxBytes) return false;
  if (text.length * 3 <= maxBytes) return true;
  return Buffer.byteLength(text, 'utf8') <= maxBytes;
}

/**
 * True when the JSON text in `data` from `start` nests objects and arrays at most `maxDepth` deep.
 * One pass over the bytes, stopping at the first level too deep; brackets inside strings do not
 * count. It does not check the syntax (`JSON.parse` does, after it): it keeps a deep value from
 * reaching code that recurses over it (`JSON.stringify` when the value is sent on).
 */
export function jsonDepthWithin(data: Uint8Array, start: number, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let at = start; at < data.length; at++) {
    const byte = data[at];
    if (inString) {
      if (byte === BACKSLASH) at++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > maxDepth) return false;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
  return true;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
