/**
 * Bounds on a JSON text, checked by one linear scan before `JSON.parse` sees it, so that what a
 * hostile peer sends never costs more than a pass over its bytes and never grows into an object
 * graph larger than the bounds allow. Pure string work, no Node APIs: the browser client uses it too.
 */

/**
 * The deepest nesting of arrays and objects the server accepts by default (the `maxJsonDepth`
 * option). Ordinary messages nest a handful of levels; 32 leaves room for any of them while keeping
 * recursive consumers (validation pipes, class transformers, loggers) far from the stack's end.
 */
export const DEFAULT_MAX_JSON_DEPTH = 32;

/**
 * The most JSON values a payload may hold when a `MessageCodec` is given no `maxJsonValues`:
 * every array and object, every object key and every scalar counts one. A value takes at least two
 * bytes of text (one character and its separator, or `[]`), so no JSON text of 64 KiB can hold more
 * than 32,768: this bound never refuses JSON that fits in a 64 KiB message, ordinary or not, and
 * keeps the parsed graph at what such a message could hold whatever the size of the text. The
 * server's `maxJsonValues` option has a tighter default of its own (see `resolve-options.ts`),
 * because handler pipes walk every value.
 */
export const DEFAULT_MAX_JSON_VALUES = 32_768;

/**
 * The longest string (key or value) a JSON payload may hold by default (the codec's and the
 * server's `maxJsonStringLength` option), in UTF-16 code units of the parsed string (JavaScript's
 * `length`). A UTF-8 text of 64 KiB, the default `maxMessageSize`, never decodes to more code units
 * than it has bytes, so with the default message size this bound never refuses valid JSON either;
 * it caps strings when `maxMessageSize` is raised.
 */
export const DEFAULT_MAX_JSON_STRING_LENGTH = 65_536;

/** The limits one JSON text is checked against; `Infinity` disables a limit. */
export interface JsonBounds {
  /** Deepest nesting of arrays and objects (a scalar alone is depth 0). */
  readonly maxDepth: number;
  /** Most values: arrays, objects, object keys and scalars, each counting one. */
  readonly maxValues: number;
  /** Longest string, key or value, in UTF-16 code units once parsed. */
  readonly maxStringLength: number;
}

/** Which bound a JSON text exceeds: `depth`, `values` or `string-length`. */
export type JsonBoundsViolation = 'depth' | 'values' | 'string-length';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;
const COLON = 0x3a;
const SPACE = 0x20;
const TAB = 0x09;
const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const LOWER_U = 0x75;

function isHexDigit(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x46) ||
    (code >= 0x61 && code <= 0x66)
  );
}

/**
 * The first bound `text` exceeds, or `undefined` when it stays within all of them. One pass, every
 * character looked at once, stopping at the first violation.
 *
 * It does not validate the JSON (`JSON.parse` does that afterwards), and it need not: on a valid
 * text it counts what the text holds, which is what `JSON.parse` builds (plus the members of
 * duplicate keys, which the parser drops after reading them), and on an invalid one it is exact up
 * to the first error, which is as far as `JSON.parse` ever gets. So whatever passes here, the parser
 * either refuses or builds within the bounds.
 */
export function exceededJsonBound(
  text: string,
  bounds: JsonBounds,
): JsonBoundsViolation | undefined {
  const { maxDepth, maxValues, maxStringLength } = bounds;
  let depth = 0;
  let values = 0;
  let inScalar = false;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      if (++values > maxValues) return 'values';
      inScalar = false;
      // The string, read to its closing quote; its parsed length counts an escape as one unit.
      let units = 0;
      for (i++; i < length; i++) {
        const inner = text.charCodeAt(i);
        if (inner === QUOTE) break;
        if (++units > maxStringLength) return 'string-length';
        if (inner !== BACKSLASH) continue;
        i++;
        if (text.charCodeAt(i) !== LOWER_U) continue;
        // `\uXXXX` is one unit; only hex digits are skipped, so a broken escape cannot hide a quote.
        for (let hex = 0; hex < 4 && isHexDigit(text.charCodeAt(i + 1)); hex++) i++;
      }
    } else if (code === OPEN_ARRAY || code === OPEN_OBJECT) {
      if (++values > maxValues) return 'values';
      if (++depth > maxDepth) return 'depth';
      inScalar = false;
    } else if (code === CLOSE_ARRAY || code === CLOSE_OBJECT) {
      depth--;
      inScalar = false;
    } else if (
      code === COMMA ||
      code === COLON ||
      code === SPACE ||
      code === TAB ||
      code === LINE_FEED ||
      code === CARRIAGE_RETURN
    ) {
      inScalar = false;
    } else if (!inScalar) {
      // The first character of a number, `true`, `false` or `null`.
      if (++values > maxValues) return 'values';
      inScalar = true;
    }
  }
  return undefined;
}
