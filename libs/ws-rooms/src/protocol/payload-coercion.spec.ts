import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import type { DecodedValue } from './message-codec';
import { coercePayload } from './payload-coercion';

/** Runs `action` and returns the WsRoomsError it threw (fails the test otherwise). */
function thrownBy(action: () => unknown): WsRoomsError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(WsRoomsError);
    return error as WsRoomsError;
  }
  throw new Error('expected the call to throw');
}

describe('coercePayload', () => {
  describe('to a declared String', () => {
    it.each<[string, DecodedValue, string]>([
      ['a string as is', 'hello', 'hello'],
      ['an integer as its decimal text', 42, '42'],
      ['a negative integer', -7, '-7'],
      ['a float', 3.5, '3.5'],
      ['a boolean', true, 'true'],
      ['bytes as UTF-8 text', Buffer.from('héllo', 'utf8'), 'héllo'],
      ['an object as JSON', { a: [1, 2] }, '{"a":[1,2]}'],
      ['an array as JSON', [1, 'x'], '[1,"x"]'],
      ['null as JSON', null, 'null'],
    ])('converts %s', (_name, value, expected) => {
      expect(coercePayload(value, String)).toBe(expected);
    });
  });

  describe('to a declared Number', () => {
    it.each<[string, DecodedValue, number]>([
      ['a number as is', 42, 42],
      ['a float as is', 3.5, 3.5],
      ['a numeric string', '42', 42],
      ['a numeric string with spaces around', ' 3.5 ', 3.5],
      ['a signed exponent string', '-1e3', -1000],
      ['a string starting with a dot', '.5', 0.5],
      ['numeric bytes', Buffer.from(' 17 '), 17],
    ])('converts %s', (_name, value, expected) => {
      expect(coercePayload(value, Number)).toBe(expected);
    });

    it.each<[string, DecodedValue]>([
      ['a word', 'abc'],
      ['an empty string', ''],
      ['"NaN"', 'NaN'],
      ['"Infinity"', 'Infinity'],
      ['a number too large to be finite', '1e999'],
      ['bytes that are not a number', Buffer.from('x1')],
      ['a boolean', true],
      ['null', null],
      ['an object', { n: 1 }],
    ])('refuses %s with WS_ROOMS_PAYLOAD_CONVERSION', (_name, value) => {
      const error = thrownBy(() => coercePayload(value, Number));
      expect(error.code).toBe(WsRoomsErrorCode.PayloadConversion);
      expect(error.message).toMatch(/cannot be converted to number$/);
    });

    it('names the refused value in the message', () => {
      expect(thrownBy(() => coercePayload('abc', Number)).message).toBe(
        'payload "abc" cannot be converted to number',
      );
      expect(thrownBy(() => coercePayload(Buffer.from('xyz'), Number)).message).toBe(
        'payload 3 bytes cannot be converted to number',
      );
    });

    it('refuses 65,000 digits followed by a letter in linear time (the former pattern took seconds)', () => {
      const hostile = '1'.repeat(65_000) + 'x';
      const start = performance.now();
      expect(thrownBy(() => coercePayload(hostile, Number)).code).toBe(
        WsRoomsErrorCode.PayloadConversion,
      );
      expect(thrownBy(() => coercePayload(Buffer.from(hostile), Number)).code).toBe(
        WsRoomsErrorCode.PayloadConversion,
      );
      expect(performance.now() - start).toBeLessThan(100);
    });

    it('shortens a long value in the message to 64 characters', () => {
      const message = thrownBy(() => coercePayload('x'.repeat(100), Number)).message;
      const shown = message.slice('payload '.length, message.indexOf(' cannot'));
      expect(shown).toHaveLength(64);
      expect(shown.endsWith('...')).toBe(true);
    });
  });

  describe('to a declared Boolean', () => {
    it.each<[DecodedValue, boolean]>([
      [true, true],
      [false, false],
      ...['1', 't', 'T', 'TRUE', 'true', 'True'].map((word): [DecodedValue, boolean] => [
        word,
        true,
      ]),
      ...['0', 'f', 'F', 'FALSE', 'false', 'False'].map((word): [DecodedValue, boolean] => [
        word,
        false,
      ]),
      [1, true],
      [0, false],
      [Buffer.from('true'), true],
      [Buffer.from('0'), false],
    ])('converts %p to %p', (value, expected) => {
      expect(coercePayload(value, Boolean)).toBe(expected);
    });

    it.each<[string, DecodedValue]>([
      ['"yes"', 'yes'],
      ['an empty string', ''],
      ['the number 2', 2],
      ['null', null],
      ['an object', { ok: true }],
    ])('refuses %s with WS_ROOMS_PAYLOAD_CONVERSION', (_name, value) => {
      const error = thrownBy(() => coercePayload(value, Boolean));
      expect(error.code).toBe(WsRoomsErrorCode.PayloadConversion);
      expect(error.message).toMatch(/cannot be converted to boolean$/);
    });
  });

  describe('to a declared Buffer or Uint8Array', () => {
    it('passes bytes through untouched', () => {
      const bytes = Buffer.from([0, 255]);
      expect(coercePayload(bytes, Buffer)).toBe(bytes);
      expect(coercePayload(bytes, Uint8Array)).toBe(bytes);
    });

    it.each<[string, DecodedValue, string]>([
      ['a string', 'héllo', 'héllo'],
      ['an integer', 42, '42'],
      ['an object', { a: 1 }, '{"a":1}'],
    ])('turns %s into its UTF-8 text bytes', (_name, value, text) => {
      const result = coercePayload(value, Buffer);
      expect(Buffer.isBuffer(result)).toBe(true);
      expect(result).toEqual(Buffer.from(text, 'utf8'));
    });
  });

  describe('to anything else', () => {
    class ChatMessage {
      text = '';
    }

    it.each<[string, unknown]>([
      ['no declared type', undefined],
      ['Object', Object],
      ['Array', Array],
      ['a class (left to pipes)', ChatMessage],
    ])('passes the decoded value through untouched for %s', (_name, declared) => {
      const value = { text: 'hi' };
      expect(coercePayload(value, declared)).toBe(value);
      expect(coercePayload('text', declared)).toBe('text');
    });
  });
});
