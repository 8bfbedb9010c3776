import {
  decodeVectors,
  encodeBytesVectors,
  encodeVectors,
  PREFIX,
  type DecodeVector,
} from '../../../../test/vectors/protocol-vectors';
import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import {
  assertEventName,
  DEFAULT_MAX_JSON_STRING_LENGTH,
  DEFAULT_MAX_JSON_VALUES,
  type DecodeResult,
  type EmitValue,
  MessageCodec,
} from './message-codec';
import { DEFAULT_PREFIX, LEGACY_PREFIX, PayloadType } from './protocol.constants';

const codec = new MessageCodec(DEFAULT_PREFIX);
const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

function inputOf(row: DecodeVector): Buffer {
  return Buffer.from(row.input, row.latin1 ? 'latin1' : 'utf8');
}

/** Runs `action` and returns what it threw (fails the test when it did not throw). */
function thrownBy(action: () => unknown): WsRoomsError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(WsRoomsError);
    return error as WsRoomsError;
  }
  throw new Error('expected the call to throw');
}

/** A small deterministic PRNG (mulberry32), so that the fuzz loop is the same on every run. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('MessageCodec', () => {
  it('uses the prefix it was given', () => {
    expect(codec.prefix).toBe(PREFIX);
    expect(DEFAULT_PREFIX).toBe(PREFIX);
  });

  describe('encodeEvent: every shared vector', () => {
    it.each(encodeVectors.map((row) => [row.name, row] as const))('%s', (_name, row) => {
      expect(codec.encodeEvent(row.event, row.value as EmitValue)).toEqual(utf8(row.expected));
    });

    it.each(encodeBytesVectors.map((row) => [row.name, row] as const))(
      '%s, as a Buffer and as a plain Uint8Array',
      (_name, row) => {
        const expected = Buffer.concat([utf8(row.head), Buffer.from(row.bytes)]);
        expect(codec.encodeEvent(row.event, Buffer.from(row.bytes))).toEqual(expected);
        expect(codec.encodeEvent(row.event, Uint8Array.from(row.bytes))).toEqual(expected);
      },
    );
  });

  describe('encodeEvent: beyond the vectors', () => {
    it('writes a non-ASCII event name as UTF-8 whatever the value type', () => {
      const event = 'my event ☃';
      expect(codec.encodeEvent(event, 'x')).toEqual(utf8(`${PREFIX}${event};0;x`));
      expect(codec.encodeEvent(event, 42)).toEqual(utf8(`${PREFIX}${event};1;42`));
      expect(codec.encodeEvent(event, true)).toEqual(utf8(`${PREFIX}${event};2;true`));
      expect(codec.encodeEvent(event, { a: 1 })).toEqual(utf8(`${PREFIX}${event};4;{"a":1}`));
      expect(codec.encodeEvent(event, Buffer.from([9]))).toEqual(
        Buffer.concat([utf8(`${PREFIX}${event};3;`), Buffer.from([9])]),
      );
    });

    it('encodes undefined as JSON null', () => {
      expect(codec.encodeEvent('o', undefined)).toEqual(utf8(`${PREFIX}o;4;null`));
    });

    it('sends bytes from a view into a larger buffer without the bytes around it', () => {
      const backing = Buffer.from([1, 2, 3, 4, 5]);
      expect(codec.encodeEvent('bin', backing.subarray(1, 3))).toEqual(
        Buffer.concat([utf8(`${PREFIX}bin;3;`), Buffer.from([2, 3])]),
      );
    });

    it('may send reserved ws-rooms: events (the server itself sends them)', () => {
      expect(codec.encodeEvent('ws-rooms:error', { code: 'X' })).toEqual(
        utf8(`${PREFIX}ws-rooms:error;4;{"code":"X"}`),
      );
    });

    it.each([
      ['a BigInt', 10n],
      ['an object holding a BigInt', { count: 10n }],
    ])('refuses %s with WS_ROOMS_INVALID_PAYLOAD', (_name, value) => {
      const error = thrownBy(() => codec.encodeEvent('big', value as unknown as EmitValue));
      expect(error.code).toBe(WsRoomsErrorCode.InvalidPayload);
      expect(error.message).toContain('event "big": value cannot be encoded as JSON');
    });

    it('refuses a cyclic object with WS_ROOMS_INVALID_PAYLOAD', () => {
      const cyclic: Record<string, unknown> = { name: 'loop' };
      cyclic.self = cyclic;
      const error = thrownBy(() => codec.encodeEvent('cycle', cyclic));
      expect(error.code).toBe(WsRoomsErrorCode.InvalidPayload);
      expect(error.message).toContain('event "cycle"');
    });

    it.each([
      ['an empty name', ''],
      ['a name with ";"', 'chat;0'],
      ['a name that is only ";"', ';'],
    ])('refuses %s with WS_ROOMS_INVALID_EVENT_NAME', (_name, event) => {
      expect(thrownBy(() => codec.encodeEvent(event, 'x')).code).toBe(
        WsRoomsErrorCode.InvalidEventName,
      );
    });
  });

  describe('decode: every shared vector', () => {
    it.each(decodeVectors.map((row) => [row.name, row] as const))('%s', (_name, row) => {
      const input = inputOf(row);
      const result = codec.decode(input);
      const expected = row.expected;
      expect(result.kind).toBe(expected.kind);
      if (expected.kind === 'native') {
        expect(result).toEqual({ kind: 'native', data: input });
      } else if (expected.kind === 'malformed') {
        const malformed = result as Extract<DecodeResult, { kind: 'malformed' }>;
        expect(malformed.error).toBeInstanceOf(WsRoomsError);
        expect(malformed.error.code).toBe(expected.code);
      } else {
        const event = result as Extract<DecodeResult, { kind: 'event' }>;
        expect(event.event).toBe(expected.event);
        expect(event.type).toBe(expected.type);
        if (expected.type === PayloadType.Bytes) {
          expect(Buffer.isBuffer(event.value)).toBe(true);
          expect(event.value).toEqual(Buffer.from(expected.value as number[]));
        } else {
          expect(event.value).toEqual(expected.value);
        }
      }
    });
  });

  describe('decode: beyond the vectors', () => {
    it('reads the event name as UTF-8', () => {
      expect(codec.decode(utf8(`${PREFIX}☃ chat;0;x`))).toEqual({
        kind: 'event',
        event: '☃ chat',
        type: PayloadType.String,
        value: 'x',
      });
    });

    it('keeps bytes that are not UTF-8 exactly as they came', () => {
      const payload = Buffer.from([0xc3, 0x28, 0xff, 0x00, 0x3b]);
      const result = codec.decode(Buffer.concat([utf8(`${PREFIX}bin;3;`), payload]));
      expect(result).toEqual({
        kind: 'event',
        event: 'bin',
        type: PayloadType.Bytes,
        value: payload,
      });
    });

    it('names the event in a malformed result when it could be read', () => {
      const unknownType = codec.decode(utf8(`${PREFIX}chat;9;x`));
      expect(unknownType).toMatchObject({ kind: 'malformed', event: 'chat' });
      const badInteger = codec.decode(utf8(`${PREFIX}n;1;abc`));
      expect(badInteger).toMatchObject({ kind: 'malformed', event: 'n' });
      const noSemicolon = codec.decode(utf8(`${PREFIX}chat`));
      expect(noSemicolon).toMatchObject({ kind: 'malformed', event: undefined });
    });

    it('decodes the value of every encode vector back to what was sent (JSON semantics for type 4)', () => {
      for (const row of encodeVectors) {
        const result = codec.decode(codec.encodeEvent(row.event, row.value as EmitValue));
        expect(result.kind).toBe('event');
        const { event, value, type } = result as Extract<DecodeResult, { kind: 'event' }>;
        expect(event).toBe(row.event);
        const sent = type === PayloadType.Json ? JSON.parse(JSON.stringify(row.value)) : row.value;
        expect(value).toEqual(sent);
      }
    });
  });

  describe('decode limits', () => {
    const limited = new MessageCodec(PREFIX, { maxEventNameLength: 8, maxJsonDepth: 3 });
    const codeOf = (result: DecodeResult): string | undefined =>
      result.kind === 'malformed' ? result.error.code : undefined;

    it('accepts an event name of exactly maxEventNameLength bytes', () => {
      expect(limited.decode(utf8(`${PREFIX}12345678;0;x`))).toMatchObject({
        kind: 'event',
        event: '12345678',
      });
    });

    it('refuses a longer event name with WS_ROOMS_EVENT_NAME_TOO_LONG', () => {
      const result = limited.decode(utf8(`${PREFIX}123456789;0;x`));
      expect(codeOf(result)).toBe(WsRoomsErrorCode.EventNameTooLong);
      expect(result).toMatchObject({ error: { message: 'event name longer than 8 bytes' } });
    });

    it('measures the event name in UTF-8 bytes', () => {
      // Three snowmen are 3 characters but 9 bytes.
      expect(codeOf(limited.decode(utf8(`${PREFIX}☃☃☃;0;x`)))).toBe(
        WsRoomsErrorCode.EventNameTooLong,
      );
      expect(limited.decode(utf8(`${PREFIX}☃☃;0;x`))).toMatchObject({ kind: 'event', event: '☃☃' });
    });

    it('accepts JSON nested exactly maxJsonDepth deep', () => {
      expect(limited.decode(utf8(`${PREFIX}o;4;[{"a":[1]}]`))).toMatchObject({
        kind: 'event',
        value: [{ a: [1] }],
      });
    });

    it('refuses deeper JSON with WS_ROOMS_JSON_TOO_DEEP, before parsing it', () => {
      const deep = '['.repeat(100_000) + ']'.repeat(100_000);
      const result = limited.decode(utf8(`${PREFIX}o;4;${deep}`));
      expect(codeOf(result)).toBe(WsRoomsErrorCode.JsonTooDeep);
      expect(result).toMatchObject({ event: 'o' });
      expect(codeOf(limited.decode(utf8(`${PREFIX}o;4;[[[[1]]]]`)))).toBe(
        WsRoomsErrorCode.JsonTooDeep,
      );
    });

    it('does not count brackets inside JSON strings', () => {
      // One level of real nesting; the string holds brackets, an escaped quote and a backslash.
      const value = ['[[[[{{{{"]\\'];
      expect(limited.decode(utf8(`${PREFIX}o;4;${JSON.stringify(value)}`))).toMatchObject({
        kind: 'event',
        value,
      });
    });

    it('checks JSON depth only for JSON payloads', () => {
      expect(limited.decode(utf8(`${PREFIX}s;0;[[[[[[`))).toMatchObject({
        kind: 'event',
        value: '[[[[[[',
      });
    });

    it('has no limits by default', () => {
      const name = 'e'.repeat(1000);
      expect(
        codec.decode(utf8(`${PREFIX}${name};4;${'['.repeat(64)}${']'.repeat(64)}`)),
      ).toMatchObject({ kind: 'event', event: name });
    });
  });

  describe('JSON size limits', () => {
    const small = new MessageCodec(PREFIX, { maxJsonValues: 4, maxJsonStringLength: 5 });
    const codeOf = (result: DecodeResult): string | undefined =>
      result.kind === 'malformed' ? result.error.code : undefined;

    it('accepts JSON with exactly maxJsonValues values and strings of exactly maxJsonStringLength', () => {
      expect(small.decode(utf8(`${PREFIX}o;4;{"abcde":[1]}`))).toMatchObject({
        kind: 'event',
        value: { abcde: [1] },
      });
    });

    it('refuses more values with WS_ROOMS_JSON_TOO_LARGE, naming the event', () => {
      const result = small.decode(utf8(`${PREFIX}o;4;[1,2,3,4]`));
      expect(codeOf(result)).toBe(WsRoomsErrorCode.JsonTooLarge);
      expect(result).toMatchObject({
        event: 'o',
        error: { message: 'event "o": JSON with more than 4 values' },
      });
    });

    it('refuses a longer string, key or value, with WS_ROOMS_JSON_TOO_LARGE', () => {
      const value = small.decode(utf8(`${PREFIX}o;4;["abcdef"]`));
      expect(codeOf(value)).toBe(WsRoomsErrorCode.JsonTooLarge);
      expect(value).toMatchObject({
        error: { message: 'event "o": JSON string longer than 5 characters' },
      });
      expect(codeOf(small.decode(utf8(`${PREFIX}o;4;{"abcdef":1}`)))).toBe(
        WsRoomsErrorCode.JsonTooLarge,
      );
    });

    it('applies only to JSON payloads', () => {
      expect(small.decode(utf8(`${PREFIX}s;0;["abcdefgh",1,2,3,4]`))).toMatchObject({
        kind: 'event',
        value: '["abcdefgh",1,2,3,4]',
      });
    });

    it('by default accepts any JSON that fits in a 64 KiB message', () => {
      const head = `${PREFIX}o;4;`;
      const densest = `[${'1,'.repeat((64 * 1024 - head.length - 3) / 2)}1]`;
      const result = codec.decode(utf8(head + densest));
      expect(result).toMatchObject({ kind: 'event' });
      const longString = JSON.stringify('x'.repeat(64 * 1024 - head.length - 2));
      expect(codec.decode(utf8(head + longString))).toMatchObject({ kind: 'event' });
    });

    it('by default refuses more than DEFAULT_MAX_JSON_VALUES values or longer strings', () => {
      expect(DEFAULT_MAX_JSON_VALUES).toBe(32_768);
      expect(DEFAULT_MAX_JSON_STRING_LENGTH).toBe(65_536);
      const many = `[${'1,'.repeat(DEFAULT_MAX_JSON_VALUES - 1)}1]`;
      expect(codeOf(codec.decode(utf8(`${PREFIX}o;4;${many}`)))).toBe(
        WsRoomsErrorCode.JsonTooLarge,
      );
      const long = JSON.stringify('x'.repeat(DEFAULT_MAX_JSON_STRING_LENGTH + 1));
      expect(codeOf(codec.decode(utf8(`${PREFIX}o;4;${long}`)))).toBe(
        WsRoomsErrorCode.JsonTooLarge,
      );
    });

    it('may be lifted with Infinity', () => {
      const unbounded = new MessageCodec(PREFIX, {
        maxJsonValues: Number.POSITIVE_INFINITY,
        maxJsonStringLength: Number.POSITIVE_INFINITY,
      });
      const many = `[${'1,'.repeat(DEFAULT_MAX_JSON_VALUES)}1]`;
      expect(unbounded.decode(utf8(`${PREFIX}o;4;${many}`))).toMatchObject({ kind: 'event' });
    });

    it.each([
      ['maxEventNameLength', -1],
      ['maxJsonDepth', 1.5],
      ['maxJsonValues', Number.NaN],
      ['maxJsonStringLength', Number.NEGATIVE_INFINITY],
    ])('refuses %s = %p with WS_ROOMS_INVALID_OPTION', (name, value) => {
      const error = thrownBy(() => new MessageCodec(PREFIX, { [name]: value }));
      expect(error.code).toBe(WsRoomsErrorCode.InvalidOption);
      expect(error.message).toBe(
        `"${name}" must be a non-negative integer or Infinity, got ${String(value)}`,
      );
    });
  });

  describe('readHeader and decodeValue (the two steps of decode)', () => {
    const limited = new MessageCodec(PREFIX, { maxEventNameLength: 8, maxJsonDepth: 2 });

    it('reads the name, the type and the payload bounds without the value', () => {
      const data = utf8(`${PREFIX}chat;4;{"a":1}`);
      expect(limited.readHeader(data)).toEqual({
        kind: 'header',
        event: 'chat',
        type: PayloadType.Json,
        data,
        payloadStart: PREFIX.length + 7,
        payloadEnd: data.length,
      });
    });

    it('gives an empty payload its bounds at the end of the message', () => {
      for (const text of [`${PREFIX}n;0`, `${PREFIX}n;0;`]) {
        const data = utf8(text);
        expect(limited.readHeader(data)).toMatchObject({
          payloadStart: data.length,
          payloadEnd: data.length,
        });
      }
    });

    it('does not look at the payload: a header whose value is malformed is still a header', () => {
      for (const payload of ['{oops', '['.repeat(100), '1'.repeat(65_000) + 'x']) {
        const header = limited.readHeader(utf8(`${PREFIX}o;4;${payload}`));
        expect(header).toMatchObject({ kind: 'header', event: 'o', type: PayloadType.Json });
      }
    });

    it('reports malformed heads and native messages as decode does', () => {
      for (const text of [
        `${PREFIX}chat`,
        `${PREFIX};0;x`,
        `${PREFIX}123456789;0;x`,
        `${PREFIX}chat;`,
        `${PREFIX}chat;x;1`,
        `${PREFIX}chat;7;1`,
        'native text',
      ]) {
        const data = utf8(text);
        expect(limited.readHeader(data)).toEqual(limited.decode(data));
      }
    });

    it('decodeValue of a header is what decode returns, for every shared vector', () => {
      for (const row of decodeVectors) {
        const data = inputOf(row);
        const header = codec.readHeader(data);
        const twoSteps = header.kind === 'header' ? codec.decodeValue(header) : header;
        expect(twoSteps).toEqual(codec.decode(data));
      }
    });

    it('decodeValue applies the JSON bounds', () => {
      const header = limited.readHeader(utf8(`${PREFIX}o;4;[[[1]]]`));
      if (header.kind !== 'header') throw new Error('expected a header');
      expect(limited.decodeValue(header)).toMatchObject({
        kind: 'malformed',
        event: 'o',
        error: { code: WsRoomsErrorCode.JsonTooDeep },
      });
    });

    it('decodeValue reads only between the bounds it is given', () => {
      const data = utf8(`${PREFIX}o;0;abcdef`);
      const header = codec.readHeader(data);
      if (header.kind !== 'header') throw new Error('expected a header');
      expect(codec.decodeValue({ ...header, payloadEnd: header.payloadStart + 3 })).toMatchObject({
        value: 'abc',
      });
    });

    it('decodeValue refuses a hand-made header with a type digit readHeader never returns', () => {
      const header = codec.readHeader(utf8(`${PREFIX}o;0;x`));
      if (header.kind !== 'header') throw new Error('expected a header');
      const forged = { ...header, type: 7 as PayloadType };
      expect(codec.decodeValue(forged)).toMatchObject({
        kind: 'malformed',
        error: { code: WsRoomsErrorCode.UnknownPayloadType },
      });
    });
  });

  describe('with the legacy prefix go-websocket-message:', () => {
    const legacy = new MessageCodec(LEGACY_PREFIX);

    it('encodes with that prefix', () => {
      expect(legacy.encodeEvent('chat', 'hi')).toEqual(utf8('go-websocket-message:chat;0;hi'));
      expect(legacy.encodeEvent('n', 7)).toEqual(utf8('go-websocket-message:n;1;7'));
    });

    it('decodes event messages with that prefix', () => {
      expect(legacy.decode(utf8('go-websocket-message:chat;4;[1]'))).toEqual({
        kind: 'event',
        event: 'chat',
        type: PayloadType.Json,
        value: [1],
      });
    });

    it('treats messages with the default prefix as native', () => {
      const data = utf8(`${PREFIX}chat;0;x`);
      expect(legacy.decode(data)).toEqual({ kind: 'native', data });
    });
  });

  describe('isEventMessage', () => {
    it('is true for the prefix alone and for anything that starts with it', () => {
      expect(codec.isEventMessage(utf8(PREFIX))).toBe(true);
      expect(codec.isEventMessage(utf8(`${PREFIX}whatever`))).toBe(true);
    });

    it('is false for an empty message, a shorter one, and one that differs in its last prefix byte', () => {
      expect(codec.isEventMessage(Buffer.alloc(0))).toBe(false);
      expect(codec.isEventMessage(utf8(PREFIX.slice(0, -1)))).toBe(false);
      expect(codec.isEventMessage(utf8(`${PREFIX.slice(0, -1)};chat;0;x`))).toBe(false);
      expect(codec.isEventMessage(utf8(` ${PREFIX}chat;0;x`))).toBe(false);
    });

    it('looks at the view it is given, not at the buffer behind it', () => {
      const backing = utf8(`xx${PREFIX}chat;0;x`);
      expect(codec.isEventMessage(backing.subarray(2))).toBe(true);
      expect(codec.isEventMessage(backing.subarray(1))).toBe(false);
    });
  });

  describe('decoding never throws', () => {
    const alphabet = utf8(';0123456789abc{}"\u00e9');

    function randomBuffer(random: () => number): Buffer {
      const length = Math.floor(random() * 48);
      const bytes = Buffer.alloc(length);
      for (let i = 0; i < length; i++) {
        // Half the bytes from the protocol's own characters, to reach deep into the parser.
        bytes[i] =
          random() < 0.5
            ? alphabet[Math.floor(random() * alphabet.length)]
            : Math.floor(random() * 256);
      }
      return bytes;
    }

    it('on 400 pseudo-random buffers with the prefix: each is an event or malformed', () => {
      const random = prng(0x5eed);
      const kinds = new Set<string>();
      for (let i = 0; i < 400; i++) {
        const data = Buffer.concat([utf8(PREFIX), randomBuffer(random)]);
        let result: DecodeResult | undefined;
        expect(() => (result = codec.decode(data))).not.toThrow();
        expect(['event', 'malformed']).toContain(result!.kind);
        if (result!.kind === 'malformed') expect(result!.error).toBeInstanceOf(WsRoomsError);
        kinds.add(result!.kind);
      }
      // The inputs reach both outcomes, so the loop is not testing one path only.
      expect([...kinds].sort()).toEqual(['event', 'malformed']);
    });

    it('with tight decode limits too', () => {
      const limited = new MessageCodec(PREFIX, { maxEventNameLength: 2, maxJsonDepth: 1 });
      const random = prng(0x11);
      for (let i = 0; i < 400; i++) {
        const data = Buffer.concat([utf8(PREFIX), randomBuffer(random)]);
        let result: DecodeResult | undefined;
        expect(() => (result = limited.decode(data))).not.toThrow();
        expect(['event', 'malformed']).toContain(result!.kind);
      }
    });

    it('on 400 pseudo-random buffers without the prefix: each is native, unchanged', () => {
      const random = prng(0xbad);
      for (let i = 0; i < 400; i++) {
        const data = randomBuffer(random);
        let result: DecodeResult | undefined;
        expect(() => (result = codec.decode(data))).not.toThrow();
        expect(result).toEqual({ kind: 'native', data });
      }
    });
  });
});

describe('assertEventName', () => {
  it('accepts an ordinary name for sending and for handlers', () => {
    expect(() => assertEventName('chat', false)).not.toThrow();
    expect(() => assertEventName('chat', true)).not.toThrow();
  });

  it('refuses an empty name', () => {
    const error = thrownBy(() => assertEventName('', false));
    expect(error.code).toBe(WsRoomsErrorCode.InvalidEventName);
    expect(error.message).toBe('Invalid event name "": it must be a non-empty string without ";"');
  });

  it('refuses a name containing ";"', () => {
    const error = thrownBy(() => assertEventName('a;b', true));
    expect(error.code).toBe(WsRoomsErrorCode.InvalidEventName);
    expect(error.message).toBe(
      'Invalid event name "a;b": it must be a non-empty string without ";"',
    );
  });

  it('refuses a value that is not a string', () => {
    expect(thrownBy(() => assertEventName(42 as unknown as string, false)).code).toBe(
      WsRoomsErrorCode.InvalidEventName,
    );
  });

  it('refuses reserved ws-rooms: names only for handlers', () => {
    expect(() => assertEventName('ws-rooms:error', false)).not.toThrow();
    const error = thrownBy(() => assertEventName('ws-rooms:error', true));
    expect(error.code).toBe(WsRoomsErrorCode.InvalidEventName);
    expect(error.message).toBe(
      'Invalid event name "ws-rooms:error": names starting with "ws-rooms:" are reserved by ws-rooms',
    );
  });

  it('does not reserve names that merely resemble the reserved prefix', () => {
    expect(() => assertEventName('ws-rooms', true)).not.toThrow();
    expect(() => assertEventName('my-ws-rooms:x', true)).not.toThrow();
  });
});
