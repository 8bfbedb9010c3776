import {
  decodeWire,
  encodeReply,
  encodeRequest,
  fromWireValue,
  toWireValue,
  WireErrorCode,
  WireKind,
  type WireDecodeResult,
  type WireQuery,
  type WireReplyBody,
} from './redis-wire';

function decoded(data: Buffer) {
  const result = decodeWire(data);
  if (!result.ok) throw result.error;
  return result.message;
}

function errorCode(result: WireDecodeResult): string | undefined {
  return result.ok ? undefined : result.error.code;
}

describe('redis-wire: cluster requests and their reports', () => {
  const request = (
    overrides: Partial<Extract<WireQuery, { kind: 'request' }>> = {},
  ): WireQuery => ({
    kind: 'request',
    rooms: ['r1', 'r2'],
    except: ['x'],
    event: 'ask',
    value: toWireValue({ question: 'ready?', n: [1, 2] }),
    timeout: 5000,
    ...overrides,
  });

  it('round-trips a request with a value, with bytes, and to every connection', () => {
    for (const query of [
      request(),
      request({ rooms: null, except: [] }),
      request({ value: toWireValue(undefined) }),
      request({ value: toWireValue(null) }),
      request({ value: toWireValue(new Uint8Array([0, 255, 1])) }),
      request({ value: toWireValue('text') }),
    ]) {
      expect(decoded(encodeRequest('n', 8, query))).toEqual({
        kind: WireKind.Request,
        nodeId: 'n',
        id: 8,
        query,
      });
    }
  });

  it('carries bytes as base64 and gives them back as a Buffer', () => {
    const bytes = new Uint8Array([0, 255, 1, 0x3b, 0xc3]);
    const wire = toWireValue(bytes);
    expect(wire).toEqual({ bytes: Buffer.from(bytes).toString('base64') });
    const result = decoded(encodeRequest('n', 1, request({ value: wire })));
    if (result.kind !== WireKind.Request || result.query.kind !== 'request')
      throw new Error('not a request');
    const back = fromWireValue(result.query.value);
    expect(Buffer.isBuffer(back)).toBe(true);
    expect([...(back as Buffer)]).toEqual([...bytes]);
  });

  it('toWireValue takes only the bytes of a view, not its whole buffer', () => {
    const whole = new Uint8Array([9, 9, 1, 2, 3, 9]);
    const view = whole.subarray(2, 5);
    expect(fromWireValue(toWireValue(view))).toEqual(Buffer.from([1, 2, 3]));
    expect(fromWireValue(toWireValue(Buffer.from('hi')))).toEqual(Buffer.from('hi'));
  });

  it('toWireValue/fromWireValue carry other values as they are, undefined as null', () => {
    expect(toWireValue(undefined)).toEqual({ value: null });
    expect(toWireValue(0)).toEqual({ value: 0 });
    expect(toWireValue({ a: [1] })).toEqual({ value: { a: [1] } });
    expect(fromWireValue({ value: { a: [1] } })).toEqual({ a: [1] });
    expect(fromWireValue({ value: null })).toBeNull();
  });

  const requestBody = (query: Record<string, unknown>) =>
    Buffer.concat([
      Buffer.from([0x57, 1, WireKind.Request, 1, 0x6e]),
      Buffer.from(JSON.stringify({ id: 1, query: { ...request(), ...query } })),
    ]);

  it('accepts the well-formed body these invalid ones are made from', () => {
    expect(decodeWire(requestBody({})).ok).toBe(true);
  });

  it.each<[string, Record<string, unknown>]>([
    ['a timeout of 0', { timeout: 0 }],
    ['a negative timeout', { timeout: -1 }],
    ['a fractional timeout', { timeout: 1.5 }],
    ['a timeout as a string', { timeout: '100' }],
    ['no timeout', { timeout: undefined }],
    ['a non-string room', { rooms: ['r1', 2] }],
    ['rooms as a string', { rooms: 'r1' }],
    ['no rooms', { rooms: undefined }],
    ['a non-string except', { except: [null] }],
    ['no except', { except: undefined }],
    ['an empty event', { event: '' }],
    ['a non-string event', { event: 7 }],
    ['no value', { value: undefined }],
    ['a value that is not an object', { value: 'plain' }],
    ['a value object without value or bytes', { value: {} }],
    ['bytes that are not a string', { value: { bytes: [1, 2] } }],
  ])('rejects a request with %s', (_name, query) => {
    expect(errorCode(decodeWire(requestBody(query)))).toBe(WireErrorCode.BadBody);
  });

  it('round-trips a reply with a report', () => {
    for (const reply of [
      {
        id: 9,
        report: {
          replies: [
            ['c1', { value: 'yes' }],
            ['c2', toWireValue(new Uint8Array([1, 2]))],
            ['c5', { value: null }],
          ],
          errors: [['c3', { code: 'TIMEOUT', message: 'no answer' }]],
          missing: ['c4'],
        },
      },
      { id: 10, report: { replies: [], errors: [], missing: [] } },
    ] satisfies WireReplyBody[]) {
      expect(decoded(encodeReply('n', reply))).toEqual({
        kind: WireKind.Reply,
        nodeId: 'n',
        reply,
      });
    }
  });

  it('keeps only the code and message of a reported error', () => {
    const data = Buffer.concat([
      Buffer.from([0x57, 1, WireKind.Reply, 1, 0x6e]),
      Buffer.from(
        JSON.stringify({
          id: 2,
          report: {
            replies: [],
            errors: [['c', { code: 'E', message: 'm', stack: 'secret' }]],
            missing: [],
          },
        }),
      ),
    ]);
    expect(decoded(data)).toEqual({
      kind: WireKind.Reply,
      nodeId: 'n',
      reply: {
        id: 2,
        report: { replies: [], errors: [['c', { code: 'E', message: 'm' }]], missing: [] },
      },
    });
  });

  const replyWith = (report: unknown) =>
    Buffer.concat([
      Buffer.from([0x57, 1, WireKind.Reply, 1, 0x6e]),
      Buffer.from(JSON.stringify({ id: 3, report })),
    ]);
  const validReport = {
    replies: [['c1', { value: 1 }]],
    errors: [['c2', { code: 'E', message: 'm' }]],
    missing: ['c3'],
  };

  it('accepts the well-formed report these invalid ones are made from', () => {
    expect(decodeWire(replyWith(validReport)).ok).toBe(true);
  });

  it.each<[string, unknown]>([
    ['a report that is not an object', 'report'],
    ['a report that is an array', [[], [], []]],
    ['a null report', null],
    ['replies that are not an array', { ...validReport, replies: {} }],
    ['a reply that is not a pair', { ...validReport, replies: ['c1'] }],
    ['a reply with an empty id', { ...validReport, replies: [['', { value: 1 }]] }],
    ['a reply with a numeric id', { ...validReport, replies: [[1, { value: 1 }]] }],
    ['a reply without its value', { ...validReport, replies: [['c1']] }],
    ['a reply value without value or bytes', { ...validReport, replies: [['c1', {}]] }],
    ['errors that are not an array', { ...validReport, errors: 'E' }],
    ['an error without its message', { ...validReport, errors: [['c2', { code: 'E' }]] }],
    [
      'an error with a numeric code',
      { ...validReport, errors: [['c2', { code: 1, message: 'm' }]] },
    ],
    ['an error that is not an object', { ...validReport, errors: [['c2', 'E']] }],
    ['an error with an empty id', { ...validReport, errors: [['', { code: 'E', message: 'm' }]] }],
    ['missing ids that are not strings', { ...validReport, missing: [3] }],
    ['no missing list', { replies: [], errors: [] }],
    ['no replies', { errors: [], missing: [] }],
  ])('rejects %s', (_name, report) => {
    expect(errorCode(decodeWire(replyWith(report)))).toBe(WireErrorCode.BadBody);
  });
});
