/**
 * The inputs that make naive parsers slow (long digit runs, huge counts, deep or wide JSON, long
 * names) take time linear in their size in the parsers of what other nodes publish: 16 times the
 * bytes never take more than 64 times the time (quadratic would be 256), with the real limits and
 * with the limits raised out of the way (which would otherwise hide a slow parser behind an early
 * refusal).
 */
import { decodeWire, encodeBroadcast, WireKind, type WireLimits } from './redis-wire';
import { DEFAULT_WIRE_LIMITS } from './redis-wire-limits';

const limits = DEFAULT_WIRE_LIMITS;
const header = (kind: number) => Buffer.from([0x57, 1, kind, 1, 0x6e]);

const u32 = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
};
const withJson = (kind: number, text: string) => Buffer.concat([header(kind), Buffer.from(text)]);

/** Builders of an input of about `n` bytes that a naive parser would take more than linear time on. */
const worstCases: [string, (n: number) => Buffer][] = [
  ['a long digit run as a request id', (n) => withJson(WireKind.Reply, `{"id":1${'1'.repeat(n)}}`)],
  [
    'a long digit run as a count',
    (n) => withJson(WireKind.Reply, `{"id":1,"count":${'9'.repeat(n)}}`),
  ],
  [
    'a long fraction as a timeout',
    (n) =>
      withJson(
        WireKind.Request,
        `{"id":1,"query":{"kind":"request","rooms":[],"except":[],"event":"e","value":{"value":1},"timeout":1.${'0'.repeat(n)}1}}`,
      ),
  ],
  [
    'a long digit run where the offset goes',
    (n) => Buffer.concat([header(WireKind.Logged), Buffer.from(`${'7'.repeat(n)}-0;`)]),
  ],
  [
    'a room count of 2^32 - 1',
    (n) =>
      Buffer.concat([
        header(WireKind.Broadcast),
        Buffer.from([0]),
        u32(0xffffffff),
        Buffer.alloc(n),
      ]),
  ],
  [
    'as many empty names as the bytes allow',
    (n) =>
      Buffer.concat([
        header(WireKind.Broadcast),
        Buffer.from([0]),
        u32(Math.floor(n / 4)),
        Buffer.alloc(n),
        u32(0),
      ]),
  ],
  [
    'a few hundred names, each long',
    (n) => {
      const count = 256;
      const each = Math.ceil(n / count);
      const name = Buffer.concat([u32(each), Buffer.alloc(each, 0x61)]);
      return Buffer.concat([
        header(WireKind.Broadcast),
        Buffer.from([0]),
        u32(count),
        ...Array.from({ length: count }, () => name),
        u32(0),
      ]);
    },
  ],
  [
    'one name longer than allowed',
    (n) =>
      Buffer.concat([
        header(WireKind.Broadcast),
        Buffer.from([0]),
        u32(1),
        u32(n),
        Buffer.alloc(n, 0x61),
        u32(0),
      ]),
  ],
  ['nothing but opening brackets', (n) => withJson(WireKind.Reply, '['.repeat(n))],
  [
    'nesting at the limit, repeated side by side',
    (n) =>
      withJson(
        WireKind.Reply,
        `{"id":1,"x":[${Array.from({ length: Math.ceil(n / 120) }, () => '['.repeat(58) + ']'.repeat(58)).join(',')}]}`,
      ),
  ],
  [
    'brackets and escaped quotes inside one string',
    (n) => withJson(WireKind.Reply, `{"id":1,"x":"${'\\"[{'.repeat(Math.ceil(n / 4))}"}`),
  ],
  [
    'a wide object',
    (n) =>
      withJson(
        WireKind.Reply,
        `{${Array.from({ length: Math.ceil(n / 12) }, (_, i) => `"k${i}":0`).join(',')},"id":1}`,
      ),
  ],
  [
    'a long list of members',
    (n) => withJson(WireKind.Reply, `{"id":1,"list":[${'"ab",'.repeat(Math.ceil(n / 5))}"ab"]}`),
  ],
  [
    'a member name longer than allowed',
    (n) => withJson(WireKind.Reply, `{"id":1,"list":["${'a'.repeat(n)}"]}`),
  ],
  [
    'a name of escapes',
    (n) => withJson(WireKind.Reply, `{"id":1,"list":["${'\\u00e9'.repeat(Math.ceil(n / 6))}"]}`),
  ],
  [
    'a long report of errors',
    (n) =>
      withJson(
        WireKind.Reply,
        `{"id":1,"report":{"replies":[],"missing":[],"errors":[${Array.from({ length: Math.ceil(n / 40) }, () => '["c",{"code":"E","message":"m"}]').join(',')}]}}`,
      ),
  ],
  [
    'a large broadcast message',
    (n) =>
      encodeBroadcast('n', {
        message: Buffer.alloc(n, 0x78),
        binary: false,
        rooms: ['r'],
        except: [],
        volatile: false,
      }),
  ],
];

/**
 * Limits raised out of the way: with the real ones most large inputs are refused early, which
 * would hide a parser that is slow on what it does read. Depth stays bounded: it is what keeps
 * recursion away, not a cost.
 */
const raised: WireLimits = {
  maxMessageBytes: 1 << 30,
  maxTargets: 1 << 30,
  maxListLength: 1 << 30,
  maxNameBytes: 1 << 30,
  maxTextBytes: 1 << 30,
  maxJsonDepth: limits.maxJsonDepth,
};

/**
 * The fastest of a few runs of the decoder alone, in milliseconds: the least disturbed by the
 * other processes.
 */
function fastest(data: Buffer, within: WireLimits): number {
  expect(() => decodeWire(data, within)).not.toThrow();
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 5; run++) {
    const started = process.hrtime.bigint();
    decodeWire(data, within);
    best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e6);
  }
  return best;
}

describe('redis-wire fuzzing: worst cases take linear time', () => {
  const n = 4 * 1024;

  describe.each([
    ['with the default limits', limits],
    ['with the limits raised out of the way', raised],
  ])('%s', (_limits, within) => {
    it.each(worstCases)('%s: 16 times the bytes, at most 64 times the time', (_name, build) => {
      const small = build(n);
      const large = build(16 * n);
      expect(large.length).toBeGreaterThan(8 * small.length); // it does grow with n
      fastest(small, within); // warm up the code paths
      const [t1, t16] = [fastest(small, within), fastest(large, within)];
      // Quadratic would be 256 times; the slack absorbs timer noise on tiny times.
      expect(t16).toBeLessThan(64 * t1 + 25);
    });
  });

  it('a bound crossed anywhere in a large message is found without parsing the rest', () => {
    const garbageAfter = Buffer.concat([
      withJson(WireKind.Reply, '['.repeat(65)),
      Buffer.alloc(8 * 1024 * 1024, 0x5b),
    ]);
    const started = Date.now();
    expect(decodeWire(garbageAfter, limits).ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
