import type { OutboundBroadcast } from '../room-store.interface';
import {
  broadcastBeyondLimits,
  decodeBroadcastBody,
  decodeWire,
  encodeBroadcast,
  encodeCommand,
  encodeLoggedParts,
  encodeReply,
  encodeRequest,
  toWireValue,
  WireErrorCode,
  WireKind,
  type WireDecodeResult,
  type WireLimits,
} from './redis-wire';
import { DEFAULT_WIRE_LIMITS } from './redis-wire-limits';

/** Small limits, so that each bound is crossed with small messages. */
const limits: WireLimits = {
  maxMessageBytes: 4096,
  maxTargets: 3,
  maxListLength: 4,
  maxNameBytes: 8,
  maxTextBytes: 16,
  maxJsonDepth: 8,
};

const say = (overrides: Partial<OutboundBroadcast> = {}): OutboundBroadcast => ({
  message: Buffer.from('m'),
  binary: false,
  rooms: ['r'],
  except: [],
  volatile: false,
  ...overrides,
});

function code(result: WireDecodeResult | { ok: boolean; error?: { code: string } }) {
  return result.ok ? 'ok' : result.error!.code;
}

/** A message with a JSON body written by hand (another node's, or anyone's). */
const json = (kind: number, body: unknown) =>
  Buffer.concat([Buffer.from([0x57, 1, kind, 1, 0x6e]), Buffer.from(JSON.stringify(body))]);

describe('redis-wire: every bound, at the bound and one past it', () => {
  it('the size of a message, checked before anything else', () => {
    const fits = encodeBroadcast('n', say({ message: Buffer.alloc(4096 - 19) }));
    expect(fits.length).toBe(4096);
    expect(code(decodeWire(fits, limits))).toBe('ok');
    const over = encodeBroadcast('n', say({ message: Buffer.alloc(4096 - 18) }));
    expect(code(decodeWire(over, limits))).toBe(WireErrorCode.OverLimit);
    // Not even the magic byte is looked at.
    expect(code(decodeWire(Buffer.alloc(4097), limits))).toBe(WireErrorCode.OverLimit);
    const { body } = encodeLoggedParts('n', say({ message: Buffer.alloc(4096) }));
    expect(code(decodeBroadcastBody(body, limits))).toBe(WireErrorCode.OverLimit);
  });

  it('the number of target and except names of a broadcast', () => {
    for (const key of ['rooms', 'except'] as const) {
      const three = encodeBroadcast('n', say({ [key]: ['a', 'b', 'c'] }));
      const four = encodeBroadcast('n', say({ [key]: ['a', 'b', 'c', 'd'] }));
      expect(code(decodeWire(three, limits))).toBe('ok');
      expect(code(decodeWire(four, limits))).toBe(WireErrorCode.OverLimit);
    }
  });

  it('a count that the message cannot hold is a truncation, however large', () => {
    const lie = Buffer.from([0x57, 1, WireKind.Broadcast, 1, 0x6e, 0, 0xff, 0xff, 0xff, 0xff]);
    expect(code(decodeWire(lie, DEFAULT_WIRE_LIMITS))).toBe(WireErrorCode.Truncated);
  });

  it('the byte length of each name, before it is read', () => {
    expect(code(decodeWire(encodeBroadcast('n', say({ rooms: ['é'.repeat(4)] })), limits))).toBe(
      'ok',
    );
    for (const overrides of [{ rooms: ['é'.repeat(4) + 'x'] }, { except: ['123456789'] }]) {
      expect(code(decodeWire(encodeBroadcast('n', say(overrides)), limits))).toBe(
        WireErrorCode.OverLimit,
      );
    }
    // A length announced past the limit is refused even when the bytes are not there.
    const announced = Buffer.from([0x57, 1, 1, 1, 0x6e, 0, 0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff]);
    expect(code(decodeWire(announced, limits))).toBe(WireErrorCode.OverLimit);
  });

  it('names in commands and queries', () => {
    const join = (connectionId: string, room: string) =>
      encodeCommand('n', 1, { kind: 'join', connectionId, room });
    expect(code(decodeWire(join('12345678', '12345678'), limits))).toBe('ok');
    expect(code(decodeWire(join('123456789', 'r'), limits))).toBe(WireErrorCode.OverLimit);
    expect(code(decodeWire(join('c', '123456789'), limits))).toBe(WireErrorCode.OverLimit);
    const members = encodeRequest('n', 1, { kind: 'members', room: '123456789' });
    expect(code(decodeWire(members, limits))).toBe(WireErrorCode.OverLimit);
    const roomsOf = encodeRequest('n', 1, { kind: 'roomsOf', connectionId: '123456789' });
    expect(code(decodeWire(roomsOf, limits))).toBe(WireErrorCode.OverLimit);
    const takeover = (token: string, owner: string) =>
      encodeCommand('n', 1, { kind: 'takeover', connectionId: 'c', token, owner });
    expect(code(decodeWire(takeover('t', 'o'.repeat(16)), limits))).toBe('ok');
    expect(code(decodeWire(takeover('t', 'o'.repeat(17)), limits))).toBe(WireErrorCode.OverLimit);
    expect(code(decodeWire(takeover('t'.repeat(9), 'o'), limits))).toBe(WireErrorCode.OverLimit);
  });

  it('close codes an application may send, and reasons a close frame can carry', () => {
    const disconnect = (closeCode: number, reason = '') =>
      decodeWire(
        encodeCommand('n', 1, { kind: 'disconnect', connectionId: 'c', code: closeCode, reason }),
      );
    for (const ok of [1000, 3000, 4999]) expect(code(disconnect(ok))).toBe('ok');
    for (const over of [999, 1006, 2999, 5000, 65536]) {
      expect(code(disconnect(over))).toBe(WireErrorCode.OverLimit);
    }
    expect(code(disconnect(4000, 'é'.repeat(61) + 'x'))).toBe('ok'); // 123 bytes
    expect(code(disconnect(4000, 'é'.repeat(62)))).toBe(WireErrorCode.OverLimit); // 124 bytes
  });

  it('the targets, event name and timeout of a cluster request', () => {
    const request = (overrides: Record<string, unknown>) =>
      json(WireKind.Request, {
        id: 1,
        query: {
          kind: 'request',
          rooms: ['a'],
          except: [],
          event: 'e',
          value: toWireValue(1),
          timeout: 1000,
          ...overrides,
        },
      });
    expect(code(decodeWire(request({}), limits))).toBe('ok');
    expect(code(decodeWire(request({ timeout: 2_147_483_647 }), limits))).toBe('ok');
    for (const over of [
      { timeout: 2_147_483_648 },
      { rooms: ['a', 'b', 'c', 'd'] },
      { except: ['a', 'b', 'c', 'd'] },
      { rooms: ['123456789'] },
      { event: '123456789' },
    ]) {
      expect(code(decodeWire(request(over), limits))).toBe(WireErrorCode.OverLimit);
    }
    // A shape that is wrong stays a shape error, even next to a bound that is crossed.
    expect(code(decodeWire(request({ timeout: -1, rooms: ['123456789'] }), limits))).toBe(
      WireErrorCode.OverLimit,
    );
    expect(code(decodeWire(request({ timeout: -1 }), limits))).toBe(WireErrorCode.BadBody);
  });

  it('the lists of an answer, and the texts of a report', () => {
    const reply = (body: Record<string, unknown>) =>
      decodeWire(encodeReply('n', { id: 1, ...body }), limits);
    expect(code(reply({ list: ['a', 'b', 'c', 'd'] }))).toBe('ok');
    expect(code(reply({ list: ['a', 'b', 'c', 'd', 'e'] }))).toBe(WireErrorCode.OverLimit);
    expect(code(reply({ list: ['123456789'] }))).toBe(WireErrorCode.OverLimit);
    const report = (overrides: Record<string, unknown>) =>
      reply({ report: { replies: [], errors: [], missing: [], ...overrides } });
    expect(code(report({ missing: ['a', 'b', 'c', 'd', 'e'] }))).toBe(WireErrorCode.OverLimit);
    const answers = ['a', 'b', 'c', 'd', 'e'].map((who) => [who, { value: 1 }]);
    expect(code(report({ replies: answers }))).toBe(WireErrorCode.OverLimit);
    expect(code(report({ replies: answers.slice(0, 4) }))).toBe('ok');
    expect(code(report({ replies: [['123456789', { value: 1 }]] }))).toBe(WireErrorCode.OverLimit);
    const error = (errorCode: string, message: string) => [['c', { code: errorCode, message }]];
    expect(code(report({ errors: error('E'.repeat(8), 'm'.repeat(16)) }))).toBe('ok');
    expect(code(report({ errors: error('E'.repeat(9), 'm') }))).toBe(WireErrorCode.OverLimit);
    expect(code(report({ errors: error('E', 'm'.repeat(17)) }))).toBe(WireErrorCode.OverLimit);
  });

  it('the nesting of a JSON body, the envelope included, before it is parsed', () => {
    const nested = (depth: number) => {
      let value: unknown = 1;
      for (let i = 0; i < depth; i++) value = [value];
      return value;
    };
    // Envelope: the body, the report, its replies, one reply, its value wrapper: 5 levels.
    const withValue = (depth: number) =>
      encodeReply('n', {
        id: 1,
        report: { replies: [['c', { value: nested(depth) }]], errors: [], missing: [] },
      });
    expect(code(decodeWire(withValue(3), limits))).toBe('ok');
    expect(code(decodeWire(withValue(4), limits))).toBe(WireErrorCode.OverLimit);
    // Not JSON at all past the limit: refused for its depth, never handed to JSON.parse.
    expect(code(decodeWire(json(WireKind.Reply, '').subarray(0, 5), limits))).toBe(
      WireErrorCode.BadBody,
    );
    const deepGarbage = Buffer.concat([
      json(WireKind.Reply, '').subarray(0, 5),
      Buffer.from('['.repeat(9)),
    ]);
    expect(code(decodeWire(deepGarbage, limits))).toBe(WireErrorCode.OverLimit);
  });
});

describe('broadcastBeyondLimits (the sending side)', () => {
  it('says why the other nodes would drop a broadcast, or null when they would take it', () => {
    expect(
      broadcastBeyondLimits(say({ rooms: ['a', 'b', 'c'], except: ['x'] }), limits),
    ).toBeNull();
    expect(broadcastBeyondLimits(say({ rooms: null, except: ['a', 'b', 'c'] }), limits)).toBeNull();
    expect(broadcastBeyondLimits(say({ rooms: ['a', 'b', 'c', 'd'] }), limits)).toBe(
      '4 rooms (at most 3)',
    );
    expect(broadcastBeyondLimits(say({ except: ['é'.repeat(5)] }), limits)).toBe(
      'a name of 10 bytes in except (at most 8)',
    );
    expect(broadcastBeyondLimits(say({ rooms: ['r'.repeat(4096)] }))).toBeNull();
    expect(broadcastBeyondLimits(say({ rooms: ['r'.repeat(4097)] }))).not.toBeNull();
  });

  it('agrees with the decoder: what it lets through decodes, what it refuses does not', () => {
    for (const overrides of [
      { rooms: ['a', 'b', 'c'] },
      { rooms: ['a', 'b', 'c', 'd'] },
      { except: ['12345678'] },
      { except: ['123456789'] },
      { rooms: ['☃☃☃'] },
    ]) {
      const broadcast = say(overrides);
      const decoded = decodeWire(encodeBroadcast('n', broadcast), limits);
      expect(decoded.ok).toBe(broadcastBeyondLimits(broadcast, limits) === null);
    }
  });
});
