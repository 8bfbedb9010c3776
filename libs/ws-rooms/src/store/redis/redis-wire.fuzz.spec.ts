/**
 * Fuzzing of the parsers of what other nodes publish (`decodeWire`, `decodeBroadcastBody`): valid
 * messages of every kind round-trip unchanged; any bytes, mutated messages and hostile JSON never
 * throw; whatever decodes stays within the limits. (Time linear in the input:
 * `redis-wire.linear.spec.ts`.)
 */
import fc from 'fast-check';
import type { OutboundBroadcast, RemoteCommand } from '../room-store.interface';
import {
  decodeBroadcastBody,
  decodeWire,
  encodeBroadcast,
  encodeCommand,
  encodeLoggedParts,
  encodeReply,
  encodeRequest,
  toWireValue,
  type WireDecodeResult,
  WireKind,
  type WireMessage,
  type WireQuery,
  type WireReplyBody,
} from './redis-wire';
import { DEFAULT_WIRE_LIMITS, MAX_TIMEOUT_MS } from './redis-wire-limits';

const limits = DEFAULT_WIRE_LIMITS;

// ---- generators of valid messages ----

/** Names as a server makes them: well-formed Unicode (a lone surrogate does not survive UTF-8). */
const name = fc.string({ unit: 'grapheme', maxLength: 12 });
const nonEmptyName = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 });
const nodeId = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 24 });
const requestId = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const names = fc.array(name, { maxLength: 6 });

const broadcastArb: fc.Arbitrary<OutboundBroadcast> = fc.record({
  message: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  binary: fc.boolean(),
  rooms: fc.option(names, { nil: null }),
  except: names,
  volatile: fc.boolean(),
});

const commandArb: fc.Arbitrary<RemoteCommand> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('join' as const, 'leave' as const),
    connectionId: nonEmptyName,
    room: nonEmptyName,
  }),
  fc.record({
    kind: fc.constant('disconnect' as const),
    connectionId: nonEmptyName,
    code: fc.oneof(fc.constant(1000), fc.integer({ min: 3000, max: 4999 })),
    reason: fc.string({ unit: 'grapheme-ascii', maxLength: 123 }),
  }),
  fc.record({
    kind: fc.constant('takeover' as const),
    connectionId: nonEmptyName,
    token: nonEmptyName,
    owner: name,
  }),
);

const wireValue = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((value) => toWireValue(value)),
  fc.uint8Array({ maxLength: 32 }).map((bytes) => toWireValue(bytes)),
);

const queryArb: fc.Arbitrary<WireQuery> = fc.oneof(
  fc.record({ kind: fc.constant('members' as const), room: nonEmptyName }),
  fc.record({ kind: fc.constant('roomsOf' as const), connectionId: nonEmptyName }),
  fc.record({ kind: fc.constantFrom('rooms' as const, 'count' as const) }),
  fc.record({
    kind: fc.constant('request' as const),
    rooms: fc.option(names, { nil: null }),
    except: names,
    event: nonEmptyName,
    value: wireValue,
    timeout: fc.integer({ min: 1, max: MAX_TIMEOUT_MS }),
  }),
);

const replyArb: fc.Arbitrary<WireReplyBody> = fc.record(
  {
    id: requestId,
    ran: fc.boolean(),
    list: fc.option(names, { nil: null }),
    count: fc.nat(),
    report: fc.record({
      replies: fc.array(fc.tuple(nonEmptyName, wireValue), { maxLength: 4 }),
      errors: fc.array(fc.tuple(nonEmptyName, fc.record({ code: name, message: name })), {
        maxLength: 4,
      }),
      missing: names,
    }),
  },
  { requiredKeys: ['id'] },
);

/** Any valid message, encoded, with what it must decode to (JSON turns -0 into 0, hence the trip). */
const encodedArb: fc.Arbitrary<{ data: Buffer; expected: WireMessage }> = fc.oneof(
  fc.tuple(nodeId, broadcastArb).map(([node, broadcast]) => ({
    data: encodeBroadcast(node, broadcast),
    expected: { kind: WireKind.Broadcast, nodeId: node, broadcast },
  })),
  fc
    .tuple(nodeId, broadcastArb, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }))
    .map(([node, broadcast, offset]) => {
      const { head, body } = encodeLoggedParts(node, broadcast);
      return {
        data: Buffer.concat([head, Buffer.from(`${offset}-0;`), body]),
        expected: { kind: WireKind.Logged, nodeId: node, offset, broadcast },
      };
    }),
  fc.tuple(nodeId, requestId, commandArb).map(([node, id, command]) => ({
    data: encodeCommand(node, id, command),
    expected: { kind: WireKind.Command, nodeId: node, id, command },
  })),
  fc.tuple(nodeId, requestId, queryArb).map(([node, id, query]) => ({
    data: encodeRequest(node, id, query),
    expected: { kind: WireKind.Request, nodeId: node, id, query: jsonTrip(query) },
  })),
  fc.tuple(nodeId, replyArb).map(([node, reply]) => ({
    data: encodeReply(node, reply),
    expected: { kind: WireKind.Reply, nodeId: node, reply: jsonTrip(reply) },
  })),
);

function jsonTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Decodes, failing the test on a throw, and checks that what decoded is within the limits. */
function decodeSafely(data: Buffer): WireDecodeResult {
  let result: WireDecodeResult | undefined;
  expect(() => (result = decodeWire(data, limits))).not.toThrow();
  if (result!.ok) assertWithinLimits(result!.message);
  return result!;
}

function assertWithinLimits(message: WireMessage): void {
  const lists: (readonly string[])[] = [];
  if (message.kind === WireKind.Broadcast || message.kind === WireKind.Logged) {
    lists.push(message.broadcast.rooms ?? [], message.broadcast.except);
    expect(message.broadcast.rooms?.length ?? 0).toBeLessThanOrEqual(limits.maxTargets);
    expect(message.broadcast.except.length).toBeLessThanOrEqual(limits.maxTargets);
  } else if (message.kind === WireKind.Reply) {
    if (message.reply.list) lists.push(message.reply.list);
  } else if (message.kind === WireKind.Request && message.query.kind === 'request') {
    lists.push(message.query.rooms ?? [], message.query.except);
  }
  // One assertion per list, not per name: a list may hold a million.
  for (const list of lists) {
    expect(list.length).toBeLessThanOrEqual(limits.maxListLength);
    expect(list.filter((item) => Buffer.byteLength(item) > limits.maxNameBytes)).toEqual([]);
  }
}

const header = (kind: number) => Buffer.from([0x57, 1, kind, 1, 0x6e]);

describe('redis-wire fuzzing: valid messages', () => {
  it('every valid message of every kind decodes to what was encoded (the format is unchanged)', () => {
    fc.assert(
      fc.property(encodedArb, ({ data, expected }) => {
        const result = decodeSafely(data);
        if (!result.ok) throw result.error;
        expect(result.message).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('a logged body decodes on its own, as the log stream keeps it', () => {
    fc.assert(
      fc.property(nodeId, broadcastArb, (node, broadcast) => {
        expect(decodeBroadcastBody(encodeLoggedParts(node, broadcast).body, limits)).toEqual({
          ok: true,
          broadcast,
        });
      }),
    );
  });
});

describe('redis-wire fuzzing: hostile input never throws', () => {
  it('any bytes at all', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        decodeSafely(Buffer.from(bytes));
      }),
      { numRuns: 1000 },
    );
  });

  it('a valid header of each kind, then any bytes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7 }),
        fc.uint8Array({ maxLength: 512 }),
        (kind, bytes) => {
          decodeSafely(Buffer.concat([header(kind), bytes]));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('valid messages with bytes changed, cut, or inserted', () => {
    const mutation = fc.oneof(
      fc.record({
        at: fc.nat(),
        byte: fc.integer({ min: 0, max: 255 }),
        op: fc.constant('set' as const),
      }),
      fc.record({ at: fc.nat(), byte: fc.constant(0), op: fc.constant('cut' as const) }),
      fc.record({
        at: fc.nat(),
        byte: fc.integer({ min: 0, max: 255 }),
        op: fc.constant('insert' as const),
      }),
    );
    fc.assert(
      fc.property(
        encodedArb,
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        ({ data }, changes) => {
          let bytes = Buffer.from(data);
          for (const { at, byte, op } of changes) {
            const i = at % (bytes.length + 1);
            if (op === 'set' && i < bytes.length) bytes[i] = byte;
            else if (op === 'cut') bytes = bytes.subarray(0, i);
            else
              bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([byte]), bytes.subarray(i)]);
          }
          decodeSafely(bytes);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('any JSON, deep or wide, as the body of a command, a request or a reply', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(WireKind.Command, WireKind.Request, WireKind.Reply),
        fc.oneof(
          fc.jsonValue({ maxDepth: 80 }),
          fc.record({ id: requestId, command: fc.jsonValue(), query: fc.jsonValue() }),
          fc.record({
            id: fc.jsonValue(),
            report: fc.jsonValue({ maxDepth: 6 }),
            list: fc.jsonValue(),
          }),
        ),
        (kind, body) => {
          decodeSafely(Buffer.concat([header(kind), Buffer.from(JSON.stringify(body) ?? '')]));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
