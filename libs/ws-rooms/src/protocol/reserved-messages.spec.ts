import type { DecodedValue } from './message-codec';
import {
  errorReplyPayload,
  parseReply,
  parseRequest,
  replyPayload,
  requestPayload,
} from './reserved-messages';

/** A payload as the codec hands it over: what JSON.parse makes of the wire text. */
const wire = (value: unknown): DecodedValue => JSON.parse(JSON.stringify(value)) as DecodedValue;

describe('parseRequest', () => {
  it('reads a request with a JSON value, bytes, or no value', () => {
    expect(parseRequest(wire(requestPayload(7, 'add', { a: 1 })))).toEqual({
      id: 7,
      event: 'add',
      value: { a: 1 },
    });
    expect(parseRequest(wire(requestPayload(8, 'bin', Buffer.from([0, 255]))))).toEqual({
      id: 8,
      event: 'bin',
      value: Buffer.from([0, 255]),
    });
    expect(parseRequest(wire({ id: 9, event: 'x' }))).toEqual({ id: 9, event: 'x', value: null });
  });

  it.each<[string, unknown]>([
    ['not an object', [1, 'x']],
    ['null', null],
    ['a string', '{"id":1,"event":"x"}'],
    ['bytes', Buffer.from('{"id":1,"event":"x"}')],
    ['no id', { event: 'x' }],
    ['a zero id', { id: 0, event: 'x' }],
    ['a fractional id', { id: 1.5, event: 'x' }],
    ['an unsafe id', { id: 2 ** 53, event: 'x' }],
    ['no event', { id: 1 }],
    ['an event that is not a string', { id: 1, event: 42 }],
    ['an empty event', { id: 1, event: '' }],
    ['an event with ";"', { id: 1, event: 'chat;0;x' }],
  ])('refuses (null) a payload with %s', (_name, payload) => {
    expect(parseRequest(payload as DecodedValue)).toBeNull();
  });

  it('keeps an unbounded name length when no limits are given (the former behaviour)', () => {
    const event = 'e'.repeat(10_000);
    expect(parseRequest(wire({ id: 1, event }))).toMatchObject({ event });
  });

  describe('with maxEventNameLength', () => {
    const limits = { maxEventNameLength: 8 };

    it('accepts a name of exactly that many UTF-8 bytes', () => {
      expect(parseRequest(wire({ id: 1, event: '12345678' }), limits)).toMatchObject({
        event: '12345678',
      });
      expect(parseRequest(wire({ id: 1, event: '☃☃' }), limits)).toMatchObject({ event: '☃☃' });
    });

    it('refuses (null) a longer one, measured in UTF-8 bytes as the codec measures it', () => {
      expect(parseRequest(wire({ id: 1, event: '123456789' }), limits)).toBeNull();
      // Three snowmen are 3 characters but 9 bytes.
      expect(parseRequest(wire({ id: 1, event: '☃☃☃' }), limits)).toBeNull();
      expect(parseRequest(wire({ id: 1, event: 'x'.repeat(60_000) }), limits)).toBeNull();
    });

    it('still refuses an empty name or one with ";"', () => {
      expect(parseRequest(wire({ id: 1, event: '' }), limits)).toBeNull();
      expect(parseRequest(wire({ id: 1, event: 'a;b' }), limits)).toBeNull();
    });
  });
});

describe('parseReply', () => {
  it('reads a value, bytes, or an error', () => {
    expect(parseReply(wire(replyPayload(3, [1])))).toEqual({ id: 3, ok: true, value: [1] });
    expect(parseReply(wire(replyPayload(4, Buffer.from([9]))))).toEqual({
      id: 4,
      ok: true,
      value: Buffer.from([9]),
    });
    const error = { code: 'WS_ROOMS_NO_HANDLER', message: 'no handler', status: 404 };
    expect(parseReply(wire(errorReplyPayload(5, error)))).toEqual({ id: 5, ok: false, error });
  });

  it('gives a failed reply without a message an empty one, and drops a status that is no number', () => {
    expect(parseReply(wire({ id: 6, error: { code: 'X', status: '500' } }))).toEqual({
      id: 6,
      ok: false,
      error: { code: 'X', message: '', status: undefined, details: undefined },
    });
  });

  it.each<[string, unknown]>([
    ['not an object', 'x'],
    ['no id', { value: 1 }],
    ['a negative id', { id: -1, value: 1 }],
    ['an error that is not an object', { id: 1, error: 'boom' }],
    ['an error without a code', { id: 1, error: { message: 'boom' } }],
  ])('refuses (null) a payload with %s', (_name, payload) => {
    expect(parseReply(payload as DecodedValue)).toBeNull();
  });
});
