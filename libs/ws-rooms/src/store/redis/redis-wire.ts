/*
 * The codec of the messages nodes exchange over Redis pub/sub. Pure: no Redis, no server.
 *
 * Every message starts with the same small header, so that a node can tell its own echo and the
 * kind of a message before reading the rest (integers are big-endian):
 *
 * | offset | size | field                                                   |
 * | ------ | ---- | ------------------------------------------------------- |
 * | 0      | 1    | magic `0x57` (`W`)                                      |
 * | 1      | 1    | version, `1`                                            |
 * | 2      | 1    | kind ({@link WireKind})                                 |
 * | 3      | 1    | byte length N of the sender's node id (1..255)          |
 * | 4      | N    | sender's node id, UTF-8                                 |
 *
 * A **broadcast** goes on with a flags byte (bit 0 binary frame, bit 1 volatile, bit 2 every
 * connection, i.e. `rooms === null`), a u32 count of target rooms each as u32 length + UTF-8, the
 * same for the `except` rooms, and then the protocol message itself, as is, to the end: the bytes
 * the origin encoded once are the bytes every node frames, nothing is re-encoded or escaped.
 *
 * **Commands, requests and replies** (rare, small) carry a UTF-8 JSON body after the header
 * (`redis-wire-json.ts`).
 *
 * A **logged broadcast** (recovery across nodes) carries its offset in ASCII as `<offset>-0;`, then
 * the broadcast body as above. Redis itself writes the offset in (a script numbers the broadcast,
 * appends it to the log stream and publishes it in one step), so the node sends the header and the
 * body separately ({@link encodeLoggedParts}) and the stream stores the very body that is published.
 *
 * Decoding is one pass, linear in the message, and never throws: every message is first held to
 * the bounds of {@link WireLimits} (`redis-wire-limits.ts`), and one beyond them is refused before
 * anything is allocated for it.
 */
import type { OutboundBroadcast, RemoteCommand } from '../room-store.interface';
import { decodeJsonBody } from './redis-wire-json';
import { DEFAULT_WIRE_LIMITS, utf8Within, type WireLimits } from './redis-wire-limits';
import {
  type WireDecodeResult,
  WireErrorCode,
  type WireFailure,
  WireKind,
  type WireQuery,
  type WireReplyBody,
  wireFailure,
} from './redis-wire-types';

export {
  fromWireValue,
  RedisWireError,
  toWireValue,
  type WireDecodeResult,
  WireErrorCode,
  WireKind,
  type WireMessage,
  type WireQuery,
  type WireReplyBody,
  type WireRequestReport,
  type WireValue,
} from './redis-wire-types';
export { DEFAULT_WIRE_LIMITS, type WireLimits } from './redis-wire-limits';

/** The version this codec writes and reads. */
export const WIRE_VERSION = 1;
/** A node id is at most this many UTF-8 bytes (its length is one byte in the header). */
export const MAX_NODE_ID_BYTES = 255;

const MAGIC = 0x57;
const FLAG_BINARY = 1;
const FLAG_VOLATILE = 2;
const FLAG_EVERYONE = 4;
const KNOWN_FLAGS = FLAG_BINARY | FLAG_VOLATILE | FLAG_EVERYONE;

/**
 * Encodes a broadcast: one allocation, the header and the message copied in once.
 * @throws RangeError when the node id is empty or longer than 255 bytes
 */
export function encodeBroadcast(nodeId: string, broadcast: OutboundBroadcast): Buffer {
  return encodeBroadcastAfter(nodeIdBytes(nodeId), WireKind.Broadcast, broadcast);
}

/**
 * The two parts of a logged broadcast: the header (up to the offset, which Redis writes in) and the
 * body (flags, rooms, excepts, message), which is also what the log stream keeps.
 * @throws RangeError when the node id is empty or longer than 255 bytes
 */
export function encodeLoggedParts(
  nodeId: string,
  broadcast: OutboundBroadcast,
): { readonly head: Buffer; readonly body: Buffer } {
  const node = nodeIdBytes(nodeId);
  const head = Buffer.allocUnsafe(4 + node.length);
  writeHeader(head, WireKind.Logged, node);
  return { head, body: encodeBroadcastAfter(Buffer.alloc(0), null, broadcast) };
}

/**
 * Why the other nodes would refuse this broadcast's target lists (too many names, a name too
 * long), or null when they would take them. The publisher checks before it sends: a broadcast
 * every receiver drops is better not sent, and counted where it was made.
 */
export function broadcastBeyondLimits(
  broadcast: Pick<OutboundBroadcast, 'rooms' | 'except'>,
  limits: WireLimits = DEFAULT_WIRE_LIMITS,
): string | null {
  for (const [what, names] of [
    ['rooms', broadcast.rooms ?? []],
    ['except', broadcast.except],
  ] as const) {
    if (names.length > limits.maxTargets) {
      return `${names.length} ${what} (at most ${limits.maxTargets})`;
    }
    for (const name of names) {
      if (!utf8Within(name, limits.maxNameBytes)) {
        return `a name of ${Buffer.byteLength(name)} bytes in ${what} (at most ${limits.maxNameBytes})`;
      }
    }
  }
  return null;
}

/**
 * Decodes a broadcast body as the log stream keeps it. Never throws; the message is a view into
 * `body`.
 */
export function decodeBroadcastBody(
  body: Buffer,
  limits: WireLimits = DEFAULT_WIRE_LIMITS,
): { ok: true; broadcast: OutboundBroadcast } | WireFailure {
  if (body.length > limits.maxMessageBytes) return tooLarge(body.length, limits);
  return readBroadcast(body, 0, limits);
}

/** The header (when `kind` is given) and the body of a broadcast, in one allocation. */
function encodeBroadcastAfter(
  node: Buffer,
  kind: WireKind | null,
  broadcast: OutboundBroadcast,
): Buffer {
  const rooms =
    broadcast.rooms === null ? [] : broadcast.rooms.map((room) => Buffer.from(room, 'utf8'));
  const except = broadcast.except.map((room) => Buffer.from(room, 'utf8'));
  const headerSize = kind === null ? 0 : 4 + node.length;
  let size = headerSize + 1 + 4 + 4 + broadcast.message.length;
  for (const name of rooms) size += 4 + name.length;
  for (const name of except) size += 4 + name.length;
  const out = Buffer.allocUnsafe(size);
  let at = kind === null ? 0 : writeHeader(out, kind, node);
  let flags = 0;
  if (broadcast.binary) flags |= FLAG_BINARY;
  if (broadcast.volatile) flags |= FLAG_VOLATILE;
  if (broadcast.rooms === null) flags |= FLAG_EVERYONE;
  out[at++] = flags;
  at = writeNames(out, at, rooms);
  at = writeNames(out, at, except);
  broadcast.message.copy(out, at);
  return out;
}

/** Encodes a remote command. */
export function encodeCommand(nodeId: string, id: number, command: RemoteCommand): Buffer {
  return encodeJson(nodeId, WireKind.Command, { id, command });
}

/** Encodes a query. */
export function encodeRequest(nodeId: string, id: number, query: WireQuery): Buffer {
  return encodeJson(nodeId, WireKind.Request, { id, query });
}

/** Encodes an answer. */
export function encodeReply(nodeId: string, reply: WireReplyBody): Buffer {
  return encodeJson(nodeId, WireKind.Reply, reply);
}

/**
 * Decodes any message, held to `limits`. A broadcast's `message` is a view into `data` (no copy):
 * the caller must not reuse `data` while the broadcast is in use (ioredis hands every message its
 * own Buffer).
 */
export function decodeWire(
  data: Buffer,
  limits: WireLimits = DEFAULT_WIRE_LIMITS,
): WireDecodeResult {
  if (data.length > limits.maxMessageBytes) return tooLarge(data.length, limits);
  if (data.length < 4)
    return wireFailure(
      WireErrorCode.Truncated,
      `message of ${data.length} bytes is shorter than a header`,
    );
  if (data[0] !== MAGIC)
    return wireFailure(
      WireErrorCode.BadMagic,
      `first byte 0x${hex(data[0])} is not a ws-rooms message`,
    );
  if (data[1] !== WIRE_VERSION)
    return wireFailure(
      WireErrorCode.UnsupportedVersion,
      `wire version ${data[1]} (this node speaks ${WIRE_VERSION})`,
    );
  const kind = data[2];
  const nodeLength = data[3];
  if (nodeLength === 0) return wireFailure(WireErrorCode.BadNodeId, 'empty node id');
  if (data.length < 4 + nodeLength)
    return wireFailure(WireErrorCode.Truncated, 'node id cut short');
  const nodeId = data.toString('utf8', 4, 4 + nodeLength);
  const at = 4 + nodeLength;
  switch (kind) {
    case WireKind.Broadcast:
      return decodeBroadcast(data, at, nodeId, limits);
    case WireKind.Command:
    case WireKind.Request:
    case WireKind.Reply:
      return decodeJsonBody(data, at, kind, nodeId, limits);
    case WireKind.Logged:
      return decodeLogged(data, at, nodeId, limits);
    default:
      return wireFailure(WireErrorCode.UnknownKind, `unknown message kind ${kind}`);
  }
}

function decodeBroadcast(
  data: Buffer,
  start: number,
  nodeId: string,
  limits: WireLimits,
): WireDecodeResult {
  const read = readBroadcast(data, start, limits);
  if (!read.ok) return read;
  return { ok: true, message: { kind: WireKind.Broadcast, nodeId, broadcast: read.broadcast } };
}

/** The longest `<offset>-0` field before its `;`: 16 digits (more than any safe integer) and `-0`. */
const MAX_OFFSET_FIELD = 18;

function decodeLogged(
  data: Buffer,
  start: number,
  nodeId: string,
  limits: WireLimits,
): WireDecodeResult {
  // Looked for in the field's bytes only: a large message without `;` is not scanned whole.
  const end = data.subarray(start, start + MAX_OFFSET_FIELD + 1).indexOf(0x3b) + start; // ';'
  if (end < start) {
    return wireFailure(WireErrorCode.Truncated, 'logged broadcast without its offset');
  }
  const field = data.toString('latin1', start, end);
  const match = /^([1-9][0-9]*)-0$/.exec(field);
  const offset = match === null ? Number.NaN : Number(match[1]);
  if (!Number.isSafeInteger(offset)) {
    return wireFailure(WireErrorCode.BadBody, `logged broadcast offset ${JSON.stringify(field)}`);
  }
  const read = readBroadcast(data, end + 1, limits);
  if (!read.ok) return read;
  return {
    ok: true,
    message: { kind: WireKind.Logged, nodeId, offset, broadcast: read.broadcast },
  };
}

function readBroadcast(
  data: Buffer,
  start: number,
  limits: WireLimits,
): { ok: true; broadcast: OutboundBroadcast } | WireFailure {
  if (data.length < start + 1)
    return wireFailure(WireErrorCode.Truncated, 'broadcast flags missing');
  const flags = data[start];
  if ((flags & ~KNOWN_FLAGS) !== 0)
    return wireFailure(WireErrorCode.BadFlags, `unknown flag bits 0x${hex(flags)}`);
  const rooms = readNames(data, start + 1, 'target rooms', limits);
  if (!rooms.ok) return rooms;
  const except = readNames(data, rooms.end, 'except rooms', limits);
  if (!except.ok) return except;
  const everyone = (flags & FLAG_EVERYONE) !== 0;
  if (everyone && rooms.names.length > 0) {
    return wireFailure(
      WireErrorCode.BadFlags,
      'a broadcast to every connection must not list rooms',
    );
  }
  const broadcast: OutboundBroadcast = {
    message: data.subarray(except.end),
    binary: (flags & FLAG_BINARY) !== 0,
    volatile: (flags & FLAG_VOLATILE) !== 0,
    rooms: everyone ? null : rooms.names,
    except: except.names,
  };
  return { ok: true, broadcast };
}

function nodeIdBytes(nodeId: string): Buffer {
  const bytes = Buffer.from(nodeId, 'utf8');
  if (bytes.length === 0 || bytes.length > MAX_NODE_ID_BYTES) {
    throw new RangeError(
      `node id must be 1..${MAX_NODE_ID_BYTES} UTF-8 bytes, got ${bytes.length}`,
    );
  }
  return bytes;
}

function writeHeader(out: Buffer, kind: WireKind, node: Buffer): number {
  out[0] = MAGIC;
  out[1] = WIRE_VERSION;
  out[2] = kind;
  out[3] = node.length;
  node.copy(out, 4);
  return 4 + node.length;
}

function writeNames(out: Buffer, start: number, names: readonly Buffer[]): number {
  let at = out.writeUInt32BE(names.length, start);
  for (const name of names) {
    at = out.writeUInt32BE(name.length, at);
    at += name.copy(out, at);
  }
  return at;
}

/** A u32 count, then each name as a u32 length and UTF-8; counts and lengths are checked first. */
function readNames(
  data: Buffer,
  start: number,
  what: string,
  limits: WireLimits,
): { ok: true; names: string[]; end: number } | WireFailure {
  if (data.length < start + 4) return wireFailure(WireErrorCode.Truncated, `${what} cut short`);
  const count = data.readUInt32BE(start);
  // Each name takes at least its 4-byte length: a count beyond that is a lie, not an allocation.
  if (count > (data.length - start - 4) / 4) {
    return wireFailure(WireErrorCode.Truncated, `${what} cut short`);
  }
  if (count > limits.maxTargets) {
    return wireFailure(WireErrorCode.OverLimit, `${count} ${what} (at most ${limits.maxTargets})`);
  }
  const names: string[] = [];
  let at = start + 4;
  for (let i = 0; i < count; i++) {
    if (data.length < at + 4) return wireFailure(WireErrorCode.Truncated, `${what} cut short`);
    const length = data.readUInt32BE(at);
    at += 4;
    if (length > limits.maxNameBytes) {
      return wireFailure(
        WireErrorCode.OverLimit,
        `a name of ${length} bytes in ${what} (at most ${limits.maxNameBytes})`,
      );
    }
    if (data.length < at + length) return wireFailure(WireErrorCode.Truncated, `${what} cut short`);
    names.push(data.toString('utf8', at, at + length));
    at += length;
  }
  return { ok: true, names, end: at };
}

function encodeJson(nodeId: string, kind: WireKind, body: unknown): Buffer {
  const node = nodeIdBytes(nodeId);
  const json = Buffer.from(JSON.stringify(body), 'utf8');
  const out = Buffer.allocUnsafe(4 + node.length + json.length);
  json.copy(out, writeHeader(out, kind, node));
  return out;
}

function tooLarge(length: number, limits: WireLimits): WireFailure {
  return wireFailure(
    WireErrorCode.OverLimit,
    `message of ${length} bytes (at most ${limits.maxMessageBytes})`,
  );
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
