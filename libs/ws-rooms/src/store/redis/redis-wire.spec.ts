import type { OutboundBroadcast } from '../room-store.interface';
import {
  decodeBroadcastBody,
  decodeWire,
  encodeBroadcast,
  encodeCommand,
  encodeLoggedParts,
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

const message = Buffer.from('iris-websocket-message:chat;0;hi');

function broadcast(overrides: Partial<OutboundBroadcast> = {}): OutboundBroadcast {
  return { message, binary: false, rooms: ['r1'], except: [], volatile: false, ...overrides };
}

function decoded(data: Buffer) {
  const result = decodeWire(data);
  if (!result.ok) throw result.error;
  return result.message;
}

function errorCode(result: WireDecodeResult): string | undefined {
  return result.ok ? undefined : result.error.code;
}

describe('redis-wire: broadcasts', () => {
  it('writes the documented bytes: header, flags, rooms, excepts, then the message as is', () => {
    const data = encodeBroadcast('n1', broadcast({ rooms: ['ab'], except: ['c'], binary: true }));
    expect([...data.subarray(0, 6)]).toEqual([0x57, 1, WireKind.Broadcast, 2, 0x6e, 0x31]);
    expect(data[6]).toBe(0b001); // binary
    expect([...data.subarray(7, 17)]).toEqual([0, 0, 0, 1, 0, 0, 0, 2, 0x61, 0x62]);
    expect([...data.subarray(17, 26)]).toEqual([0, 0, 0, 1, 0, 0, 0, 1, 0x63]);
    expect(data.subarray(26)).toEqual(message);
    expect(data.length).toBe(26 + message.length);
  });

  it('round-trips every flag and target shape', () => {
    const cases: Partial<OutboundBroadcast>[] = [
      { rooms: null },
      { rooms: null, except: ['sender-id'] },
      { rooms: ['x', 'y', 'z'], except: ['w'] },
      { rooms: ['é room ☃ ;:'], volatile: true },
      { binary: true, volatile: true, rooms: [''] },
    ];
    for (const overrides of cases) {
      const original = broadcast(overrides);
      const result = decoded(encodeBroadcast('node-é', original));
      expect(result).toEqual({ kind: WireKind.Broadcast, nodeId: 'node-é', broadcast: original });
    }
  });

  it('carries any bytes, including non-UTF-8 and empty messages, unchanged and without copying on decode', () => {
    const bytes = Buffer.from([0xff, 0x00, 0xfe, 0x3b, 0x0a]);
    const data = encodeBroadcast('n', broadcast({ message: bytes, binary: true }));
    const result = decoded(data);
    if (result.kind !== WireKind.Broadcast) throw new Error('not a broadcast');
    expect(result.broadcast.message).toEqual(bytes);
    expect(result.broadcast.message.buffer).toBe(data.buffer); // a view, not a copy
    expect(decoded(encodeBroadcast('n', broadcast({ message: Buffer.alloc(0) })))).toMatchObject({
      broadcast: { message: Buffer.alloc(0) },
    });
  });

  it('rejects node ids that do not fit the header', () => {
    expect(() => encodeBroadcast('', broadcast())).toThrow(RangeError);
    expect(() => encodeBroadcast('x'.repeat(256), broadcast())).toThrow(RangeError);
    expect(() => encodeBroadcast('x'.repeat(255), broadcast())).not.toThrow();
  });
});

describe('redis-wire: commands, requests, replies', () => {
  it('round-trips every command', () => {
    const commands = [
      { kind: 'join', connectionId: 'c1', room: 'r' },
      { kind: 'leave', connectionId: 'c1', room: 'r' },
      { kind: 'disconnect', connectionId: 'c1', code: 4000, reason: 'bye; now' },
      { kind: 'takeover', connectionId: 'c1', token: 'tok', owner: '{"name":"alice"}' },
      { kind: 'takeover', connectionId: 'c1', token: 'tok', owner: '' },
    ] as const;
    for (const command of commands) {
      expect(decoded(encodeCommand('n2', 7, command))).toEqual({
        kind: WireKind.Command,
        nodeId: 'n2',
        id: 7,
        command,
      });
    }
  });

  it('round-trips every query', () => {
    const queries = [
      { kind: 'members', room: 'r' },
      { kind: 'rooms' },
      { kind: 'roomsOf', connectionId: 'c' },
      { kind: 'count' },
    ] as const;
    for (const query of queries) {
      expect(decoded(encodeRequest('n', 1, query))).toEqual({
        kind: WireKind.Request,
        nodeId: 'n',
        id: 1,
        query,
      });
    }
  });

  it('round-trips replies', () => {
    for (const reply of [
      { id: 3, ran: true },
      { id: 4, list: ['a', 'b'] },
      { id: 5, list: null },
      { id: 6, count: 0 },
    ]) {
      expect(decoded(encodeReply('n', reply))).toEqual({
        kind: WireKind.Reply,
        nodeId: 'n',
        reply,
      });
    }
  });

  it('starts with the same header as broadcasts, then JSON', () => {
    const data = encodeReply('ab', { id: 1, ran: false });
    expect([...data.subarray(0, 6)]).toEqual([0x57, 1, WireKind.Reply, 2, 0x61, 0x62]);
    expect(data.subarray(6).toString()).toBe('{"id":1,"ran":false}');
  });
});

describe('redis-wire: malformed input never throws, each maps to a code', () => {
  const valid = encodeBroadcast('n', broadcast({ rooms: ['room'], except: ['x'] }));
  const header = (kind: number, body: string | Buffer) =>
    Buffer.concat([
      Buffer.from([0x57, 1, kind, 1, 0x6e]),
      Buffer.isBuffer(body) ? body : Buffer.from(body),
    ]);

  it.each<[string, Buffer, string]>([
    ['empty', Buffer.alloc(0), WireErrorCode.Truncated],
    ['three bytes', Buffer.from([0x57, 1, 1]), WireErrorCode.Truncated],
    ['another program on the channel', Buffer.from('hello world'), WireErrorCode.BadMagic],
    ['a future version', Buffer.from([0x57, 2, 1, 1, 0x6e, 0]), WireErrorCode.UnsupportedVersion],
    ['an unknown kind', header(9, ''), WireErrorCode.UnknownKind],
    ['an empty node id', Buffer.from([0x57, 1, 1, 0, 0]), WireErrorCode.BadNodeId],
    ['a node id cut short', Buffer.from([0x57, 1, 1, 5, 0x6e]), WireErrorCode.Truncated],
    ['a broadcast without flags', header(1, ''), WireErrorCode.Truncated],
    [
      'unknown flag bits',
      header(1, Buffer.from([0x08, 0, 0, 0, 0, 0, 0, 0, 0])),
      WireErrorCode.BadFlags,
    ],
    [
      'everyone with rooms listed',
      header(1, Buffer.from([0x04, 0, 0, 0, 1, 0, 0, 0, 1, 0x61, 0, 0, 0, 0])),
      WireErrorCode.BadFlags,
    ],
    [
      'a room count larger than the message',
      header(1, Buffer.from([0, 0xff, 0xff, 0xff, 0xff])),
      WireErrorCode.Truncated,
    ],
    [
      'a room length past the end',
      header(1, Buffer.from([0, 0, 0, 0, 1, 0, 0, 0, 9, 0x61])),
      WireErrorCode.Truncated,
    ],
    ['no except count', header(1, Buffer.from([0, 0, 0, 0, 0])), WireErrorCode.Truncated],
    [
      'a valid broadcast cut one byte before its message',
      valid.subarray(0, valid.length - message.length - 1),
      WireErrorCode.Truncated,
    ],
    ['a command that is not JSON', header(2, '{'), WireErrorCode.BadBody],
    [
      'a command of an unknown kind',
      header(2, '{"id":1,"command":{"kind":"explode","connectionId":"c"}}'),
      WireErrorCode.BadBody,
    ],
    [
      'a join without room',
      header(2, '{"id":1,"command":{"kind":"join","connectionId":"c"}}'),
      WireErrorCode.BadBody,
    ],
    [
      'a disconnect with a non-integer code',
      header(
        2,
        '{"id":1,"command":{"kind":"disconnect","connectionId":"c","code":1.5,"reason":""}}',
      ),
      WireErrorCode.BadBody,
    ],
    [
      'a takeover without token',
      header(2, '{"id":1,"command":{"kind":"takeover","connectionId":"c","owner":""}}'),
      WireErrorCode.BadBody,
    ],
    [
      'a takeover with an empty token',
      header(2, '{"id":1,"command":{"kind":"takeover","connectionId":"c","token":"","owner":""}}'),
      WireErrorCode.BadBody,
    ],
    ['a request id of zero', header(3, '{"id":0,"query":{"kind":"rooms"}}'), WireErrorCode.BadBody],
    ['a request that is an array', header(3, '[1]'), WireErrorCode.BadBody],
    ['an unknown query', header(3, '{"id":1,"query":{"kind":"drop"}}'), WireErrorCode.BadBody],
    [
      'members without room',
      header(3, '{"id":1,"query":{"kind":"members"}}'),
      WireErrorCode.BadBody,
    ],
    ['a reply with a string ran', header(4, '{"id":1,"ran":"yes"}'), WireErrorCode.BadBody],
    ['a reply list of numbers', header(4, '{"id":1,"list":[1]}'), WireErrorCode.BadBody],
    ['a negative count', header(4, '{"id":1,"count":-1}'), WireErrorCode.BadBody],
  ])('%s', (_name, data, code) => {
    expect(errorCode(decodeWire(data))).toBe(code);
  });

  it('every truncation of valid messages decodes to an error, never a throw', () => {
    const samples = [
      valid,
      encodeCommand('node', 12, { kind: 'join', connectionId: 'c', room: 'r' }),
      encodeRequest('node', 12, { kind: 'members', room: 'r' }),
      encodeReply('node', { id: 12, list: ['a'] }),
    ];
    for (const sample of samples) {
      const end = sample === valid ? sample.length - message.length : sample.length;
      for (let length = 0; length < end; length++) {
        const result = decodeWire(sample.subarray(0, length));
        expect(result.ok).toBe(false);
      }
    }
  });
});

/** A logged broadcast as the Redis script publishes it: head, `<offset>-0;`, body. */
function logged(nodeId: string, original: OutboundBroadcast, field = '17-0'): Buffer {
  const { head, body } = encodeLoggedParts(nodeId, original);
  return Buffer.concat([head, Buffer.from(`${field};`), body]);
}

describe('redis-wire: logged broadcasts', () => {
  it('splits into the header (up to the offset) and the body of a plain broadcast', () => {
    const original = broadcast({ rooms: ['ab'], except: ['c'], binary: true });
    const { head, body } = encodeLoggedParts('n1', original);
    expect([...head]).toEqual([0x57, 1, WireKind.Logged, 2, 0x6e, 0x31]);
    // The body is byte for byte what follows the header of a plain broadcast.
    expect(body).toEqual(encodeBroadcast('n1', original).subarray(6));
    expect(body[0]).toBe(0b001);
    expect(body.subarray(body.length - message.length)).toEqual(message);
  });

  it('decodes what the script publishes, with its offset', () => {
    const original = broadcast();
    expect(decoded(logged('node-é', original))).toEqual({
      kind: WireKind.Logged,
      nodeId: 'node-é',
      offset: 17,
      broadcast: original,
    });
    expect(decoded(logged('n', original, '1-0'))).toMatchObject({
      offset: 1,
    });
    expect(decoded(logged('n', original, '9007199254740991-0'))).toMatchObject({
      kind: WireKind.Logged,
      offset: Number.MAX_SAFE_INTEGER,
    });
  });

  it('round-trips every flag and target shape', () => {
    const cases: Partial<OutboundBroadcast>[] = [
      { rooms: null },
      { rooms: null, except: ['sender-id'] },
      { rooms: ['x', 'y', 'z'], except: ['w'] },
      { rooms: ['é room ☃ ;:'], volatile: true },
      { binary: true, volatile: true, rooms: [''] },
      { binary: true, rooms: [], except: ['a;b', '12-0;'] },
    ];
    for (const overrides of cases) {
      const original = broadcast(overrides);
      expect(decoded(logged('n', original))).toEqual({
        kind: WireKind.Logged,
        nodeId: 'n',
        offset: 17,
        broadcast: original,
      });
      expect(decodeBroadcastBody(encodeLoggedParts('n', original).body)).toEqual({
        ok: true,
        broadcast: original,
      });
    }
  });

  it('carries any bytes, including non-UTF-8, ";" and empty messages, unchanged', () => {
    for (const bytes of [
      Buffer.from([0xff, 0x00, 0xfe, 0x3b, 0x0a, 0xc3, 0x28]),
      Buffer.from(';;17-0;'),
      Buffer.alloc(0),
    ]) {
      const data = logged('n', broadcast({ message: bytes, binary: true }));
      const result = decoded(data);
      if (result.kind !== WireKind.Logged) throw new Error('not a logged broadcast');
      expect(result.broadcast.message).toEqual(bytes);
      expect(result.broadcast.message.buffer).toBe(data.buffer); // a view, not a copy

      const { body } = encodeLoggedParts('n', broadcast({ message: bytes, binary: true }));
      const fromBody = decodeBroadcastBody(body);
      if (!fromBody.ok) throw fromBody.error;
      expect(fromBody.broadcast.message).toEqual(bytes);
      expect(fromBody.broadcast.message.buffer).toBe(body.buffer);
    }
  });

  it('rejects node ids that do not fit the header', () => {
    expect(() => encodeLoggedParts('', broadcast())).toThrow(RangeError);
    expect(() => encodeLoggedParts('x'.repeat(256), broadcast())).toThrow(RangeError);
    expect(encodeLoggedParts('x'.repeat(255), broadcast()).head.length).toBe(4 + 255);
  });

  const header = Buffer.from([0x57, 1, WireKind.Logged, 1, 0x6e]);
  const body = encodeLoggedParts('n', broadcast({ rooms: ['room'], except: ['x'] })).body;
  const withField = (field: string, rest: Buffer = body) =>
    Buffer.concat([header, Buffer.from(field), rest]);

  it.each<[string, Buffer, string]>([
    [
      'no offset field at all (head then body)',
      Buffer.concat([header, body]),
      WireErrorCode.Truncated,
    ],
    ['an offset without its ";"', withField('17-0', Buffer.alloc(0)), WireErrorCode.Truncated],
    ['nothing after the header', header, WireErrorCode.Truncated],
    ['offset 0', withField('0-0;'), WireErrorCode.BadBody],
    ['a sequence number other than 0', withField('12-1;'), WireErrorCode.BadBody],
    ['letters', withField('abc-0;'), WireErrorCode.BadBody],
    ['hex digits', withField('1f-0;'), WireErrorCode.BadBody],
    ['an empty field', withField(';'), WireErrorCode.BadBody],
    ['no sequence part', withField('17;'), WireErrorCode.BadBody],
    ['a leading zero', withField('017-0;'), WireErrorCode.BadBody],
    ['a negative offset', withField('-17-0;'), WireErrorCode.BadBody],
    ['spaces', withField(' 17-0;'), WireErrorCode.BadBody],
    [
      'beyond the safe integers (18 chars)',
      withField(`${'9'.repeat(16)}-0;`),
      WireErrorCode.BadBody,
    ],
    ['over 18 chars', withField(`${'1'.repeat(17)}-0;`), WireErrorCode.Truncated],
    ['a field with no body after it', withField('17-0;', Buffer.alloc(0)), WireErrorCode.Truncated],
    [
      'unknown flag bits',
      withField('17-0;', Buffer.from([0x08, 0, 0, 0, 0, 0, 0, 0, 0])),
      WireErrorCode.BadFlags,
    ],
  ])('%s', (_name, data, code) => {
    let result: WireDecodeResult | undefined;
    expect(() => (result = decodeWire(data))).not.toThrow();
    expect(result!.ok).toBe(false);
    expect(errorCode(result!)).toBe(code);
  });

  it('every truncation of a logged message, or of its body, decodes to an error, never a throw', () => {
    const data = logged('node', broadcast({ rooms: ['room', 'other'], except: ['x'] }));
    for (let length = 0; length < data.length - message.length; length++) {
      const result = decodeWire(data.subarray(0, length));
      expect(result.ok).toBe(false);
    }
    for (let length = 0; length < body.length - message.length; length++) {
      const result = decodeBroadcastBody(body.subarray(0, length));
      expect(result.ok).toBe(false);
    }
  });

  it.each<[string, Buffer, string]>([
    ['an empty body', Buffer.alloc(0), WireErrorCode.Truncated],
    ['unknown flag bits', Buffer.from([0x10, 0, 0, 0, 0, 0, 0, 0, 0]), WireErrorCode.BadFlags],
    [
      'everyone with rooms listed',
      Buffer.from([0x04, 0, 0, 0, 1, 0, 0, 0, 1, 0x61, 0, 0, 0, 0]),
      WireErrorCode.BadFlags,
    ],
    ['no except count', Buffer.from([0, 0, 0, 0, 0]), WireErrorCode.Truncated],
  ])('decodeBroadcastBody rejects %s', (_name, data, code) => {
    const result = decodeBroadcastBody(data);
    expect(result.ok ? undefined : result.error.code).toBe(code);
  });
});

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
