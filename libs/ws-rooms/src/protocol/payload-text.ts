/**
 * The text forms of integer, boolean and JSON payloads (PROTOCOL.md section 2.4), shared by the
 * server codec, the payload coercion and the client codec. Pure string work, no Node APIs, so the
 * browser bundle can use it too.
 */

/** A value that `JSON.parse` can produce. */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Returned when a payload does not parse for its type. */
export const INVALID_PAYLOAD: unique symbol = Symbol('invalid payload');

/** A decimal number as the original client wrote them: sign, digits, fraction, exponent. */
export const DECIMAL_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

const STRICT_INTEGER = /^[+-]?\d+$/;
const TRUE_WORDS: ReadonlySet<string> = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_WORDS: ReadonlySet<string> = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** `1 t T TRUE true True` and `0 f F FALSE false False`; undefined for anything else. */
export function parseBooleanText(text: string): boolean | undefined {
  if (TRUE_WORDS.has(text)) return true;
  if (FALSE_WORDS.has(text)) return false;
  return undefined;
}

/**
 * An integer as the protocol defines it (optional sign, decimal digits, safe range), plus what the
 * original client also sent with type 1: finite decimal numbers and `true`/`false`.
 */
export function parseIntegerText(text: string): number | boolean | typeof INVALID_PAYLOAD {
  if (STRICT_INTEGER.test(text)) {
    const value = Number(text);
    return Number.isSafeInteger(value) ? value : INVALID_PAYLOAD;
  }
  if (DECIMAL_NUMBER.test(text)) {
    const value = Number(text);
    return Number.isFinite(value) ? value : INVALID_PAYLOAD;
  }
  if (text === 'true') return true;
  if (text === 'false') return false;
  return INVALID_PAYLOAD;
}

/** The value of a type-1, type-2 or type-4 payload, or INVALID_PAYLOAD. */
export function parseTextPayload(
  type: 1 | 2 | 4,
  text: string,
): JsonValue | typeof INVALID_PAYLOAD {
  if (type === 1) return parseIntegerText(text);
  if (type === 2) return parseBooleanText(text) ?? INVALID_PAYLOAD;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return INVALID_PAYLOAD;
  }
}
