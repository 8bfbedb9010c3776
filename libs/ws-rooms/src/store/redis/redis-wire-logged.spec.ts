import type { OutboundBroadcast } from '../room-store.interface';
import {
  decodeBroadcastBody,
  decodeWire,
  encodeBroadcast,
  encodeLoggedParts,
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
