import fc from 'fast-check';
import { ClientCodec } from '../client/client-codec';
import { unwrapMessage } from '../client/recovery-envelope';
import { parseReplyEnvelope, parseRequestEnvelope } from '../client/request-envelope';
import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import { exceededJsonBound, type JsonBounds } from './json-bounds';
import { type DecodedValue, type DecodeResult, MessageCodec } from './message-codec';
import { coercePayload } from './payload-coercion';
import { INVALID_PAYLOAD, parseIntegerText, parseTextPayload } from './payload-text';
import { DEFAULT_PREFIX, PayloadType } from './protocol.constants';
import { parseReply, parseRequest } from './reserved-messages';
import { renderUntrustedName } from './untrusted-name';

/**
 * Property-based fuzzing of every parser of untrusted input in the protocol layer and the client's
 * codec and envelopes, with generators aimed at their worst cases: runs of digits, `e`, `.` and signs
 * with a wrong last character, deep and wide JSON, broken escapes, long names, many `;`. Every
 * property says: nothing throws (or only the documented typed error), and what comes back is typed.
 * Timing is the job of codec-linearity.spec.ts.
 */

const PREFIX = DEFAULT_PREFIX;
const ERROR_CODES: readonly string[] = Object.values(WsRoomsErrorCode);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Characters that steer the number scans, the JSON scan and the head parser into their branches. */
const hostileChar = fc.constantFrom(
  ...'0123456789.eE+-x;[]{}",:\\u tfn'.split(''),
  '\u00e9',
  '😀',
  '\ud800',
  '\u0000',
);

/** A run of one short unit with a tail: the shape that made backtracking patterns quadratic. */
const hostileRun = fc
  .record({
    unit: fc.string({ unit: hostileChar, minLength: 1, maxLength: 4 }),
    times: fc.integer({ min: 1, max: 300 }),
    head: fc.string({ unit: hostileChar, maxLength: 3 }),
    tail: fc.string({ unit: hostileChar, maxLength: 3 }),
  })
  .map(({ unit, times, head, tail }) => head + unit.repeat(times) + tail);

/** Deep, wide or broken JSON around plausible values. */
const hostileJson = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }).map((value) => JSON.stringify(value)),
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value, null, 1)),
  fc.nat({ max: 300 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  fc.nat({ max: 300 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
  fc.nat({ max: 500 }).map((width) => `[${'1,'.repeat(width)}1]`),
  fc.nat({ max: 300 }).map((width) => `{${'"":0,'.repeat(width)}"":0}`),
  fc.nat({ max: 300 }).map((length) => `["${'\\'.repeat(length)}"]`),
  fc.nat({ max: 100 }).map((count) => `["${'\\u'.repeat(count)}"]`),
);

/** Any payload text the fuzz throws at a parser. */
const hostileText = fc.oneof(
  { weight: 3, arbitrary: hostileRun },
  { weight: 3, arbitrary: hostileJson },
  { weight: 2, arbitrary: fc.string({ unit: hostileChar, maxLength: 64 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 64 }) },
);

/** A whole message: an event name (possibly long, empty, or full of `;`), a type character, a payload. */
const hostileMessage = fc
  .record({
    event: fc.oneof(
      fc.constantFrom('n', 'chat', 'ws-rooms:req', ''),
      fc.string({ unit: hostileChar, maxLength: 40 }),
      fc.nat({ max: 300 }).map((length) => 'e'.repeat(length)),
    ),
    type: fc.constantFrom('0', '1', '2', '3', '4', '5', '9', 'x', ';', ''),
    separator: fc.constantFrom(';', ':', ''),
    payload: hostileText,
  })
  .map(({ event, type, separator, payload }) => `${PREFIX}${event};${type}${separator}${payload}`);

/** JSON bounds small enough for the generated inputs to cross them. */
const smallBounds: fc.Arbitrary<JsonBounds> = fc.record({
  maxDepth: fc.integer({ min: 0, max: 40 }),
  maxValues: fc.integer({ min: 0, max: 400 }),
  maxStringLength: fc.integer({ min: 0, max: 200 }),
});

/** Depth, value count and longest string of a parsed JSON graph, counted as the scan counts. */
function measure(value: unknown): { depth: number; values: number; longest: number } {
  if (typeof value === 'string') return { depth: 0, values: 1, longest: value.length };
  if (typeof value !== 'object' || value === null) return { depth: 0, values: 1, longest: 0 };
  const children = Array.isArray(value)
    ? value.map(measure)
    : Object.entries(value).flatMap(([key, item]) => [measure(key), measure(item)]);
  return children.reduce(
    (sum, child) => ({
      depth: Math.max(sum.depth, child.depth + 1),
      values: sum.values + child.values,
      longest: Math.max(sum.longest, child.longest),
    }),
    { depth: 1, values: 1, longest: 0 },
  );
}

function within(value: unknown, bounds: JsonBounds): boolean {
  const { depth, values, longest } = measure(value);
  return (
    depth <= bounds.maxDepth && values <= bounds.maxValues && longest <= bounds.maxStringLength
  );
}

/** `JSON.parse`, or INVALID_PAYLOAD when it refuses. */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return INVALID_PAYLOAD;
  }
}

/** The value types each type digit may decode to. */
function checkDecodedValue(type: PayloadType, value: DecodedValue): void {
  if (type === PayloadType.String) expect(typeof value).toBe('string');
  else if (type === PayloadType.Int) expect(['number', 'boolean']).toContain(typeof value);
  else if (type === PayloadType.Bool) expect(typeof value).toBe('boolean');
  else if (type === PayloadType.Bytes) expect(Buffer.isBuffer(value)).toBe(true);
  // Type 1 reads finite numbers only; JSON may overflow to Infinity (`1e999`), as JSON.parse does.
  if (type === PayloadType.Int && typeof value === 'number') {
    expect(Number.isFinite(value)).toBe(true);
  }
}

function checkServerResult(result: DecodeResult, maxEventNameLength: number): void {
  if (result.kind === 'malformed') {
    expect(result.error).toBeInstanceOf(WsRoomsError);
    expect(ERROR_CODES).toContain(result.error.code);
    return;
  }
  if (result.kind === 'native') return;
  expect(result.event.length).toBeGreaterThan(0);
  expect(result.event).not.toContain(';');
  expect(Buffer.byteLength(result.event)).toBeLessThanOrEqual(maxEventNameLength);
  checkDecodedValue(result.type, result.value);
}

describe('codec fuzz: adversarial inputs to every parser', () => {
  describe('server MessageCodec', () => {
    const bounded = new MessageCodec(PREFIX, {
      maxEventNameLength: 32,
      maxJsonDepth: 8,
      maxJsonValues: 200,
      maxJsonStringLength: 100,
    });

    it('decode never throws and returns typed results within the limits', () => {
      fc.assert(
        fc.property(hostileMessage, fc.boolean(), (message, asLatin1) => {
          const data = Buffer.from(message, asLatin1 ? 'latin1' : 'utf8');
          checkServerResult(bounded.decode(data), 32);
        }),
        { numRuns: 600 },
      );
    });

    it('readHeader then decodeValue is decode, and readHeader never parses the payload', () => {
      fc.assert(
        fc.property(hostileMessage, (message) => {
          const data = Buffer.from(message);
          const header = bounded.readHeader(data);
          if (header.kind !== 'header') {
            expect(header).toEqual(bounded.decode(data));
            return;
          }
          expect(header.payloadStart).toBeLessThanOrEqual(header.payloadEnd);
          expect(header.payloadEnd).toBe(data.length);
          expect(bounded.decodeValue(header)).toEqual(bounded.decode(data));
        }),
        { numRuns: 400 },
      );
    });

    it('a JSON payload that decodes is within every bound', () => {
      fc.assert(
        fc.property(hostileJson, (json) => {
          const result = bounded.decode(Buffer.from(`${PREFIX}o;4;${json}`));
          if (result.kind === 'event') {
            expect(
              within(result.value, { maxDepth: 8, maxValues: 200, maxStringLength: 100 }),
            ).toBe(true);
          } else {
            expect(result.kind).toBe('malformed');
          }
        }),
        { numRuns: 320 },
      );
    });
  });

  describe('server and client codecs agree on every message', () => {
    const limits = { maxJsonDepth: 16, maxJsonValues: 300, maxJsonStringLength: 150 };
    const server = new MessageCodec(PREFIX, limits);
    const client = new ClientCodec(PREFIX, limits);

    it('same kind, event, type, value or error code, from text and from bytes', () => {
      fc.assert(
        fc.property(hostileMessage, (message) => {
          const expected = server.decode(Buffer.from(message));
          // Bytes may hold anything, and both ends read them the same way. The text form is
          // compared when a text frame could carry it (valid UTF-8: no lone surrogate) and its
          // separator after the type digit is ASCII: the server and the client's byte path skip one
          // byte there, the client's text path one character (the separator is `;` in practice).
          const frames: (string | Uint8Array)[] = [encoder.encode(message)];
          const separator = message.charCodeAt(message.indexOf(';', PREFIX.length) + 2);
          const asciiSeparator = Number.isNaN(separator) || separator < 0x80;
          if (asciiSeparator && decoder.decode(encoder.encode(message)) === message)
            frames.push(message);
          for (const frame of frames) {
            const actual = client.decode(frame);
            expect(actual.kind).toBe(expected.kind);
            if (expected.kind === 'malformed' && actual.kind === 'malformed') {
              expect(actual.error.code).toBe(expected.error.code);
              expect(actual.event).toBe(expected.event);
            } else if (expected.kind === 'event' && actual.kind === 'event') {
              expect(actual.event).toBe(expected.event);
              expect(actual.type).toBe(expected.type);
              const value = Buffer.isBuffer(expected.value)
                ? new Uint8Array(expected.value)
                : expected.value;
              expect(actual.value).toEqual(value);
            }
          }
        }),
        { numRuns: 400 },
      );
    });
  });

  describe('payload text and coercion', () => {
    it('parseIntegerText returns a finite number, a boolean, or INVALID_PAYLOAD, never throwing', () => {
      fc.assert(
        fc.property(hostileText, (text) => {
          const value = parseIntegerText(text);
          if (typeof value === 'number') {
            expect(Number.isFinite(value)).toBe(true);
            expect(value).toBe(Number(text));
          } else if (typeof value === 'boolean') {
            expect(text).toBe(String(value));
          } else {
            expect(value).toBe(INVALID_PAYLOAD);
          }
        }),
        { numRuns: 600 },
      );
    });

    it('parseTextPayload never throws for any type digit', () => {
      fc.assert(
        fc.property(
          fc.constantFrom(1 as const, 2 as const, 4 as const),
          hostileText,
          (type, text) => {
            expect(() => parseTextPayload(type, text)).not.toThrow();
          },
        ),
        { numRuns: 400 },
      );
    });

    it('coercePayload gives the declared type or throws WS_ROOMS_PAYLOAD_CONVERSION, nothing else', () => {
      const declared = fc.constantFrom<unknown>(String, Number, Boolean, Buffer, Object, undefined);
      const value = fc.oneof(
        hostileText,
        hostileText.map((text) => Buffer.from(text)),
        fc.double(),
        fc.boolean(),
        fc.jsonValue({ maxDepth: 3 }),
      );
      fc.assert(
        fc.property(value, declared, (input, type) => {
          let result: unknown;
          try {
            result = coercePayload(input as DecodedValue, type);
          } catch (error) {
            expect(error).toBeInstanceOf(WsRoomsError);
            expect((error as WsRoomsError).code).toBe(WsRoomsErrorCode.PayloadConversion);
            expect((error as WsRoomsError).message.length).toBeLessThan(200);
            return;
          }
          if (type === String) expect(typeof result).toBe('string');
          if (type === Number) {
            expect(typeof result).toBe('number');
            // Text becomes a finite number; a number (JSON may hold Infinity) passes as it is.
            if (typeof input !== 'number') expect(Number.isFinite(result)).toBe(true);
          }
          if (type === Boolean) expect(typeof result).toBe('boolean');
          if (type === Buffer) expect(Buffer.isBuffer(result)).toBe(true);
        }),
        { numRuns: 600 },
      );
    });
  });

  describe('JSON bounds', () => {
    it('whatever passes the scan and parses is within the bounds (garbage included)', () => {
      fc.assert(
        fc.property(fc.oneof(hostileJson, hostileRun), smallBounds, (text, bounds) => {
          const verdict = exceededJsonBound(text, bounds);
          const value = parsed(text);
          if (verdict === undefined && value !== INVALID_PAYLOAD) {
            expect(within(value, bounds)).toBe(true);
          }
        }),
        { numRuns: 800 },
      );
    });

    it('on valid JSON, the scan refuses exactly what exceeds a bound, naming a bound exceeded', () => {
      fc.assert(
        fc.property(hostileJson, smallBounds, (text, bounds) => {
          const value = parsed(text);
          // Only texts JSON.stringify would write: a duplicate key is counted in the text, but
          // JSON.parse keeps one, so there the scan is (rightly) stricter than the graph.
          fc.pre(
            value !== INVALID_PAYLOAD &&
              (text === JSON.stringify(value) || text === JSON.stringify(value, null, 1)),
          );
          const verdict = exceededJsonBound(text, bounds);
          const { depth, values, longest } = measure(value);
          expect(verdict === undefined).toBe(within(value, bounds));
          if (verdict === 'depth') expect(depth).toBeGreaterThan(bounds.maxDepth);
          if (verdict === 'values') expect(values).toBeGreaterThan(bounds.maxValues);
          if (verdict === 'string-length') expect(longest).toBeGreaterThan(bounds.maxStringLength);
        }),
        { numRuns: 800 },
      );
    });
  });

  describe('reserved-message envelopes', () => {
    const envelope = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record(
        {
          id: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)),
          event: fc.oneof(hostileText, fc.integer(), fc.constant(null)),
          value: fc.jsonValue({ maxDepth: 2 }),
          bytes: fc.oneof(hostileText, fc.base64String(), fc.integer()),
          error: fc.oneof(
            fc.record({ code: fc.oneof(fc.string(), fc.integer()), message: hostileText }),
            hostileText,
          ),
        },
        { requiredKeys: [] },
      ),
    );

    it('parseRequest and parseReply never throw; a request meets the event-name rules', () => {
      fc.assert(
        fc.property(envelope, fc.integer({ min: 1, max: 64 }), (payload, maxEventNameLength) => {
          const request = parseRequest(payload as DecodedValue, { maxEventNameLength });
          if (request !== null) {
            expect(Number.isSafeInteger(request.id) && request.id > 0).toBe(true);
            expect(request.event.length).toBeGreaterThan(0);
            expect(request.event).not.toContain(';');
            expect(Buffer.byteLength(request.event)).toBeLessThanOrEqual(maxEventNameLength);
          }
          expect(() => parseReply(payload as DecodedValue)).not.toThrow();
        }),
        { numRuns: 600 },
      );
    });

    it('the client envelopes never throw', () => {
      fc.assert(
        fc.property(envelope, (payload) => {
          const request = parseRequestEnvelope(payload as DecodedValue);
          if (request !== undefined && 'event' in request) {
            expect(request.event.length).toBeGreaterThan(0);
          }
          expect(() => parseReplyEnvelope(payload as DecodedValue)).not.toThrow();
        }),
        { numRuns: 600 },
      );
    });

    it('renderUntrustedName stays short and shows a prefix of the name', () => {
      fc.assert(
        fc.property(fc.oneof(hostileText, fc.string({ unit: 'binary' })), (name) => {
          const rendered = renderUntrustedName(name);
          expect(rendered.length).toBeLessThanOrEqual(64 * 6 + 3);
          const shown = JSON.parse(rendered.endsWith('…') ? rendered.slice(0, -1) : rendered);
          expect(name.startsWith(shown as string)).toBe(true);
        }),
        { numRuns: 600 },
      );
    });

    it('unwrapMessage reads an offset only from a well-formed head, from text and bytes', () => {
      fc.assert(
        fc.property(
          fc.oneof(
            hostileRun,
            fc.nat().map((n) => `${n};${PREFIX}x;0;y`),
          ),
          (text) => {
            for (const payload of [text, encoder.encode(text)]) {
              const wrapped = unwrapMessage(payload);
              if (wrapped === undefined) continue;
              expect(Number.isSafeInteger(wrapped.offset) && wrapped.offset > 0).toBe(true);
              expect(text.startsWith(`${text.slice(0, text.indexOf(';'))};`)).toBe(true);
              expect(Number(text.slice(0, text.indexOf(';')))).toBe(wrapped.offset);
            }
          },
        ),
        { numRuns: 400 },
      );
    });
  });
});
