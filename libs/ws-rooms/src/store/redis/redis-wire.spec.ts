import type { OutboundBroadcast } from '../room-store.interface';
import {
  decodeWire,
  encodeBroadcast,
  encodeCommand,
  encodeReply,
  encodeRequest,
  WireErrorCode,
  WireKind,
  type WireDecodeResult,
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
