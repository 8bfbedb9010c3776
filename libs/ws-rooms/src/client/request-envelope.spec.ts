import {
  errorReplyPayload,
  parseReplyEnvelope,
  parseRequestEnvelope,
  replyPayload,
  requestPayload,
} from './request-envelope';
import {
  parseReply as serverParseReply,
  parseRequest as serverParseRequest,
} from '../protocol/reserved-messages';

describe('request envelopes', () => {
  it('builds requests the server reads: JSON as value, bytes as base64', () => {
    expect(requestPayload(1, 'add', { a: 1 })).toEqual({ id: 1, event: 'add', value: { a: 1 } });
    expect(requestPayload(2, 'x', undefined)).toEqual({ id: 2, event: 'x', value: null });
    expect(requestPayload(3, 'b', Uint8Array.of(0, 1, 255))).toEqual({
      id: 3,
      event: 'b',
      bytes: 'AAH/',
    });
    expect(requestPayload(4, 'b', Uint8Array.of(9, 8).buffer)).toEqual({
      id: 4,
      event: 'b',
      bytes: 'CQg=',
    });
    const parsed = serverParseRequest(
      JSON.parse(JSON.stringify(requestPayload(3, 'b', Uint8Array.of(0, 1, 255)))),
    );
    expect(parsed).toEqual({ id: 3, event: 'b', value: Buffer.from([0, 1, 255]) });
  });

  it('builds replies and error replies the server reads', () => {
    expect(serverParseReply(JSON.parse(JSON.stringify(replyPayload(5, [1]))))).toEqual({
      id: 5,
      ok: true,
      value: [1],
    });
    expect(replyPayload(6, new Uint16Array([1]))).toEqual({ id: 6, bytes: 'AQA=' });
    const error = errorReplyPayload(7, {
      code: 'APP_DENIED',
      message: 'no',
      status: 403,
      details: ['a'],
    });
    expect(serverParseReply(JSON.parse(JSON.stringify(error)))).toEqual({
      id: 7,
      ok: false,
      error: { code: 'APP_DENIED', message: 'no', status: 403, details: ['a'] },
    });
    expect(errorReplyPayload(8, { code: 'C', message: 'm' })).toEqual({
      id: 8,
      error: { code: 'C', message: 'm' },
    });
  });

  it('reads replies: value, bytes, error', () => {
    expect(parseReplyEnvelope({ id: 1, value: 'v' })).toEqual({ id: 1, ok: true, value: 'v' });
    expect(parseReplyEnvelope({ id: 1 })).toEqual({ id: 1, ok: true, value: null });
    expect(parseReplyEnvelope({ id: 2, bytes: 'AAH/' })).toEqual({
      id: 2,
      ok: true,
      value: Uint8Array.of(0, 1, 255),
    });
    expect(
      parseReplyEnvelope({
        id: 3,
        error: { code: 'WS_ROOMS_NO_HANDLER', message: 'x', status: 404 },
      }),
    ).toEqual({
      id: 3,
      ok: false,
      error: { code: 'WS_ROOMS_NO_HANDLER', message: 'x', status: 404, details: undefined },
    });
    expect(parseReplyEnvelope({ id: 3, error: { code: 'C' } })).toMatchObject({
      ok: false,
      error: { code: 'C', message: '' },
    });
  });

  it.each([
    ['a string', 'x'],
    ['null', null],
    ['an array', [1]],
    ['bytes', Uint8Array.of(1)],
    ['no id', { value: 1 }],
    ['id 0', { id: 0, value: 1 }],
    ['a fractional id', { id: 1.5 }],
    ['an error without code', { id: 1, error: { message: 'x' } }],
    ['an error that is a string', { id: 1, error: 'boom' }],
    ['bytes that are not base64', { id: 1, bytes: '**' }],
  ])('refuses a reply that is %s', (_, payload) => {
    expect(parseReplyEnvelope(payload as never)).toBeUndefined();
  });

  it('reads requests, and keeps the id of a request it cannot serve', () => {
    expect(parseRequestEnvelope({ id: 1, event: 'e', value: { a: 1 } })).toEqual({
      id: 1,
      event: 'e',
      value: { a: 1 },
    });
    expect(parseRequestEnvelope({ id: 2, event: 'e', bytes: 'AQ==' })).toEqual({
      id: 2,
      event: 'e',
      value: Uint8Array.of(1),
    });
    expect(parseRequestEnvelope({ id: 3, event: '' })).toEqual({
      id: 3,
      invalid: 'the request has no event name',
    });
    expect(parseRequestEnvelope({ id: 4, event: 'e', bytes: '!' })).toEqual({
      id: 4,
      invalid: 'the request bytes are not base64',
    });
    expect(parseRequestEnvelope({ event: 'e' })).toBeUndefined();
    expect(parseRequestEnvelope([])).toBeUndefined();
  });
});
