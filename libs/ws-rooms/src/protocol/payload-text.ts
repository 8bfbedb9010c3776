/**
 * The text forms of integer, boolean and JSON payloads (docs/protocol.md, "Payload types"), shared by the
 * server codec, the payload coercion and the client codec. Pure string work, no Node APIs, so the
 * browser bundle can use it too.
 */

/** A value that `JSON.parse` can produce. */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Returned when a payload does not parse for its type. */
export const INVALID_PAYLOAD: unique symbol = Symbol('invalid payload');

const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;
const DIGIT_ZERO = 0x30;
const DIGIT_NINE = 0x39;
const UPPER_E = 0x45;
const LOWER_E = 0x65;

/** Index of the first character at or after `from` that is not an ASCII digit. */
function skipDigits(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code < DIGIT_ZERO || code > DIGIT_NINE) break;
    i++;
  }
  return i;
}

/** Index after an optional `+` or `-` at `at`. */
function skipSign(text: string, at: number): number {
  const code = text.charCodeAt(at);
  return code === PLUS || code === MINUS ? at + 1 : at;
}

/**
 * True for an optional sign followed by one or more ASCII digits and nothing else (`007`, `+5`).
 * A hand scan: one pass, every character looked at once.
 */
export function isIntegerText(text: string): boolean {
  const digitsAt = skipSign(text, 0);
  const end = skipDigits(text, digitsAt);
  return end > digitsAt && end === text.length;
}

/**
 * True for a decimal number as the original client wrote them: an optional sign, digits with an
 * optional fraction (`3.5`, `3.`, `.5`, at least one digit on either side of the dot), then an
 * optional exponent (`e`/`E`, optional sign, one or more digits). No whitespace, no `Infinity`.
 *
 * A hand scan rather than a regular expression: V8's backtracking engine took time quadratic in the
 * length of the text for a long digit run that ends in a letter (2 s for 65,000 digits), and this
 * text comes straight from the network. Every character is looked at once.
 */
export function isDecimalText(text: string): boolean {
  const mantissaAt = skipSign(text, 0);
  let i = skipDigits(text, mantissaAt);
  let digits = i - mantissaAt;
  if (text.charCodeAt(i) === DOT) {
    const fractionAt = i + 1;
    i = skipDigits(text, fractionAt);
    digits += i - fractionAt;
  }
  if (digits === 0) return false;
  const marker = text.charCodeAt(i);
  if (marker === LOWER_E || marker === UPPER_E) {
    const exponentAt = skipSign(text, i + 1);
    i = skipDigits(text, exponentAt);
    if (i === exponentAt) return false;
  }
  return i === text.length;
}

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
  if (isIntegerText(text)) {
    const value = Number(text);
    return Number.isSafeInteger(value) ? value : INVALID_PAYLOAD;
  }
  if (isDecimalText(text)) {
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
