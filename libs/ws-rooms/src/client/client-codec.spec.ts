import fc from 'fast-check';
import { runInNewContext } from 'node:vm';
import {
  decodeVectors,
  encodeBytesVectors,
  encodeVectors,
  PREFIX,
} from '../../../../test/vectors/protocol-vectors';
import { ClientCodec, DEFAULT_CLIENT_DECODE_LIMITS, type DecodeResult } from './client-codec';
import { WsRoomsClientError, WsRoomsClientErrorCode } from './client-errors';

const codec = new ClientCodec();
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const latin1 = (text: string): Uint8Array => Uint8Array.from(text, (char) => char.charCodeAt(0));
const concat = (head: string, bytes: number[]): Uint8Array =>
  new Uint8Array([...utf8(head), ...bytes]);

/** What a value becomes after a trip through its type digit (JSON turns NaN into null). */
function roundTripped(value: unknown, type: number): unknown {
  return type === 4 ? JSON.parse(JSON.stringify(value) ?? 'null') : value;
}

function expectEvent(result: DecodeResult, event: string, type: number, value: unknown): void {
  expect(result).toEqual({ kind: 'event', event, type, value });
}

describe('ClientCodec', () => {
  it('uses the Iris prefix by default', () => {
    expect(codec.prefix).toBe(PREFIX);
  });

  describe('encode: every shared vector', () => {
    it.each(encodeVectors.map((row) => [row.name, row] as const))('%s', (_name, row) => {
      expect(codec.encode(row.event, row.value)).toBe(row.expected);
    });

    it.each(encodeBytesVectors.map((row) => [row.name, row] as const))(
      'bytes: %s, as Uint8Array, ArrayBuffer and other views',
      (_name, row) => {
        const expected = concat(row.head, row.bytes);
        const bytes = Uint8Array.from(row.bytes);
        expect(codec.encode(row.event, bytes)).toEqual(expected);
        expect(codec.encode(row.event, bytes.buffer)).toEqual(expected);
        expect(codec.encode(row.event, new DataView(bytes.buffer))).toEqual(expected);
      },
    );
  });

  describe('decode: the expected text of every encode vector gives the value back', () => {
    it.each(encodeVectors.map((row) => [row.name, row] as const))('%s', (_name, row) => {
      const type = Number(row.expected.charAt(PREFIX.length + row.event.length + 1));
      const value = roundTripped(row.value, type);
      expectEvent(codec.decode(row.expected), row.event, type, value);
      // The same message in a binary frame (the server's `binaryMessages`) decodes the same way.
      expectEvent(codec.decode(utf8(row.expected)), row.event, type, value);
      expectEvent(codec.decode(utf8(row.expected).buffer), row.event, type, value);
    });

    it.each(encodeBytesVectors.map((row) => [row.name, row] as const))(
      'bytes: %s',
      (_name, row) => {
        const frame = concat(row.head, row.bytes);
        expectEvent(codec.decode(frame.buffer), row.event, 3, Uint8Array.from(row.bytes));
        expectEvent(codec.decode(frame), row.event, 3, Uint8Array.from(row.bytes));
      },
    );
  });

  describe('decode: every shared decode vector', () => {
    it.each(decodeVectors.map((row) => [row.name, row] as const))('%s', (_name, row) => {
      const frames: unknown[] = row.latin1 ? [latin1(row.input)] : [row.input, utf8(row.input)];
      for (const frame of frames) {
        const result = codec.decode(frame);
        const { expected } = row;
        if (expected.kind === 'event') {
          const value =
            expected.type === 3 ? Uint8Array.from(expected.value as number[]) : expected.value;
          expectEvent(result, expected.event, expected.type, value);
        } else if (expected.kind === 'native') {
          expect(result.kind).toBe('native');
        } else {
          expect(result.kind).toBe('malformed');
          if (result.kind !== 'malformed') return;
          expect(result.error).toBeInstanceOf(WsRoomsClientError);
          expect(result.error.code).toBe(expected.code);
        }
      }
    });
  });

  describe('native messages', () => {
    it('hands text back as text and bytes back as bytes', () => {
      expect(codec.decode('hello')).toEqual({ kind: 'native', data: 'hello' });
      expect(codec.decode(utf8('hello').buffer)).toEqual({ kind: 'native', data: utf8('hello') });
    });

    it('accepts a Node Buffer (a Uint8Array view into a larger pool)', () => {
      const pooled = Buffer.from(`xx${PREFIX}n;1;5`).subarray(2);
      expectEvent(codec.decode(pooled), 'n', 1, 5);
    });
  });

  describe('bytes payloads', () => {
    it('copies the bytes out of the frame', () => {
      const frame = concat(`${PREFIX}bin;3;`, [1, 2, 3]);
      const result = codec.decode(frame);
      if (result.kind !== 'event') throw new Error('expected an event');
      frame.fill(0);
      expect(result.value).toEqual(Uint8Array.from([1, 2, 3]));
    });

    it('gives a plain Uint8Array even for a Node Buffer frame', () => {
      const result = codec.decode(Buffer.from(`${PREFIX}bin;3;ab`));
      if (result.kind !== 'event') throw new Error('expected an event');
      expect(Object.getPrototypeOf(result.value)).toBe(Uint8Array.prototype);
    });

    it('takes the UTF-8 bytes of a text frame', () => {
      expectEvent(codec.decode(`${PREFIX}bin;3;é`), 'bin', 3, Uint8Array.from([0xc3, 0xa9]));
    });

    it('recognises an ArrayBuffer from another realm', () => {
      const foreign = runInNewContext('new Uint8Array([104, 105]).buffer') as ArrayBuffer;
      expect(foreign instanceof ArrayBuffer).toBe(false);
      expect(codec.decode(foreign)).toEqual({ kind: 'native', data: utf8('hi') });
      expect(codec.encode('bin', foreign)).toEqual(concat(`${PREFIX}bin;3;`, [104, 105]));
    });
  });

  describe('parse (the compat class path)', () => {
    it('keeps the raw payload text whatever the type digit', () => {
      expect(codec.parse(`${PREFIX}o;4;{"a":1}`)).toEqual({
        kind: 'event',
        event: 'o',
        type: 4,
        payload: '{"a":1}',
      });
      expect(codec.parse(`${PREFIX}x;7;seven`)).toMatchObject({ type: 7, payload: 'seven' });
    });
  });

  describe('convert (the second half of decode)', () => {
    it('converts a parsed message as decode would', () => {
      const parsed = codec.parse(`${PREFIX}o;4;{"a":1}`);
      if (parsed.kind !== 'event') throw new Error('expected an event');
      expect(codec.convert(parsed)).toEqual(codec.decode(`${PREFIX}o;4;{"a":1}`));
      expect(codec.convert({ kind: 'event', event: 'x', type: 1, payload: 'abc' })).toMatchObject({
        kind: 'malformed',
        event: 'x',
      });
    });
  });

  describe('hostile payloads cost time linear in their length', () => {
    it('a type-1 payload of 65,000 digits followed by a letter (the former pattern took seconds)', () => {
      const message = `${PREFIX}n;1;${'1'.repeat(65_000)}x`;
      const start = performance.now();
      expect(codec.decode(message)).toMatchObject({
        kind: 'malformed',
        error: { code: WsRoomsClientErrorCode.InvalidPayload },
      });
      expect(codec.decode(utf8(message))).toMatchObject({ kind: 'malformed' });
      expect(performance.now() - start).toBeLessThan(100);
    });
  });

  describe('JSON bounds', () => {
    const small = new ClientCodec(PREFIX, {
      maxJsonDepth: 2,
      maxJsonValues: 4,
      maxJsonStringLength: 5,
    });
    const codeOf = (result: DecodeResult): string | undefined =>
      result.kind === 'malformed' ? result.error.code : undefined;

    it('accepts JSON at every bound exactly, in text and binary frames', () => {
      const text = `${PREFIX}o;4;{"abcde":[1]}`;
      expectEvent(small.decode(text), 'o', 4, { abcde: [1] });
      expectEvent(small.decode(utf8(text)), 'o', 4, { abcde: [1] });
    });

    it.each([
      ['too deep', '[[[1]]]', WsRoomsClientErrorCode.JsonTooDeep, 'JSON nested deeper than 2'],
      [
        'too many values',
        '[1,2,3,4]',
        WsRoomsClientErrorCode.JsonTooLarge,
        'JSON with more than 4 values',
      ],
      [
        'too long a string',
        '["abcdef"]',
        WsRoomsClientErrorCode.JsonTooLarge,
        'JSON string longer than 5 characters',
      ],
      [
        'too long a key',
        '{"abcdef":1}',
        WsRoomsClientErrorCode.JsonTooLarge,
        'JSON string longer than 5 characters',
      ],
    ])('refuses JSON %s with a typed error naming the event', (_name, json, code, message) => {
      for (const frame of [`${PREFIX}o;4;${json}`, utf8(`${PREFIX}o;4;${json}`)]) {
        const result = small.decode(frame);
        expect(codeOf(result)).toBe(code);
        expect(result).toMatchObject({ kind: 'malformed', event: 'o' });
        if (result.kind === 'malformed') {
          expect(result.error).toBeInstanceOf(WsRoomsClientError);
          expect(result.error.message).toBe(`event "o": ${message}`);
        }
      }
    });

    it('applies only to JSON payloads', () => {
      expectEvent(small.decode(`${PREFIX}s;0;[[[["abcdefgh"]]]]`), 's', 0, '[[[["abcdefgh"]]]]');
    });

    it('has generous defaults: a large presence-like snapshot passes, a hostile graph does not', () => {
      expect(DEFAULT_CLIENT_DECODE_LIMITS).toEqual({
        maxJsonDepth: 256,
        maxJsonValues: 1_048_576,
        maxJsonStringLength: 16_777_216,
      });
      const members = Array.from({ length: 20_000 }, (_, i) => ({ id: `c${i}`, meta: { n: i } }));
      const snapshot = JSON.stringify({ room: 'lobby', members, version: 3 });
      expect(codec.decode(`${PREFIX}ws-rooms:presence;4;${snapshot}`).kind).toBe('event');
      expect(codeOf(codec.decode(`${PREFIX}o;4;${'['.repeat(257)}`))).toBe(
        WsRoomsClientErrorCode.JsonTooDeep,
      );
      const hostile = `[${'1,'.repeat(1_048_576)}1]`;
      expect(codeOf(codec.decode(`${PREFIX}o;4;${hostile}`))).toBe(
        WsRoomsClientErrorCode.JsonTooLarge,
      );
    });

    it('may be lifted with Infinity', () => {
      const unbounded = new ClientCodec(PREFIX, { maxJsonDepth: Number.POSITIVE_INFINITY });
      const deep = '['.repeat(1000) + ']'.repeat(1000);
      expect(unbounded.decode(`${PREFIX}o;4;${deep}`).kind).toBe('event');
    });

    it.each([
      ['maxJsonDepth', -1],
      ['maxJsonValues', 2.5],
      ['maxJsonStringLength', Number.NaN],
    ])('refuses %s = %p with WS_ROOMS_CLIENT_INVALID_OPTION', (name, value) => {
      expect(() => new ClientCodec(PREFIX, { [name]: value })).toThrow(
        expect.objectContaining({
          code: WsRoomsClientErrorCode.InvalidOption,
          message: `"${name}" must be a non-negative integer or Infinity, got ${String(value)}`,
        }),
      );
    });
  });

  describe('a custom prefix', () => {
    const legacy = new ClientCodec('go-websocket-message:');

    it('encodes and decodes with it', () => {
      expect(legacy.encode('chat', 'hi')).toBe('go-websocket-message:chat;0;hi');
      expectEvent(legacy.decode('go-websocket-message:chat;0;hi'), 'chat', 0, 'hi');
      expect(legacy.decode(`${PREFIX}chat;0;hi`).kind).toBe('native');
    });

    it('refuses an empty prefix', () => {
      expect(() => new ClientCodec('')).toThrow(
        expect.objectContaining({ code: WsRoomsClientErrorCode.InvalidOption }),
      );
    });
  });

  describe('encoding errors are typed', () => {
    it.each([[''], ['a;b']])('event name %j', (name) => {
      expect(() => codec.encode(name, 1)).toThrow(
        expect.objectContaining({ code: WsRoomsClientErrorCode.InvalidEventName }),
      );
    });

    it('a cycle or a BigInt', () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      for (const value of [cyclic, BigInt(1)]) {
        expect(() => codec.encode('o', value)).toThrow(
          expect.objectContaining({ code: WsRoomsClientErrorCode.InvalidPayload, event: 'o' }),
        );
      }
    });

    it('undefined, functions and symbols travel as JSON null', () => {
      expect(codec.encode('o', undefined)).toBe(`${PREFIX}o;4;null`);
      expect(codec.encode('o', () => 1)).toBe(`${PREFIX}o;4;null`);
      expect(codec.encode('o', Symbol('s'))).toBe(`${PREFIX}o;4;null`);
    });
  });

  describe('malformed input never throws', () => {
    it.each([[null], [undefined], [42], [{}], [new Blob(['x'])]])('data %p', (data) => {
      const result = codec.decode(data);
      expect(result.kind).toBe('malformed');
      if (result.kind === 'malformed') {
        expect(result.error.code).toBe(WsRoomsClientErrorCode.UnsupportedData);
      }
    });

    it('any text after the prefix', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary' }), (tail) => {
          expect(() => codec.decode(PREFIX + tail)).not.toThrow();
        }),
      );
    });

    it('any bytes after the prefix', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), (tail) => {
          const frame = new Uint8Array([...utf8(PREFIX), ...tail]);
          expect(() => codec.decode(frame)).not.toThrow();
          expect(() => codec.parse(frame)).not.toThrow();
        }),
      );
    });
  });
});
