import type { OutboundBroadcast, RemoteCommand } from '../room-store.interface';

/**
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
 * **Commands, requests and replies** (rare, small) carry a UTF-8 JSON body after the header.
 *
 * A **logged broadcast** (recovery across nodes) carries its offset in ASCII as `<offset>-0;`, then
 * the broadcast body as above. Redis itself writes the offset in (a script numbers the broadcast,
 * appends it to the log stream and publishes it in one step), so the node sends the header and the
 * body separately ({@link encodeLoggedParts}) and the stream stores the very body that is published.
 */
export const WireKind = {
  /** A broadcast already delivered on its origin node. */
  Broadcast: 1,
  /** A join/leave/disconnect for a connection of whichever node owns it. */
  Command: 2,
  /** A cluster-wide query. */
  Request: 3,
  /** The answer to a command or a request, on the asker's reply channel. */
  Reply: 4,
  /** A broadcast numbered in the cluster's recovery log, delivered by every node (origin included). */
  Logged: 5,
} as const;

/** One of the values of {@link WireKind}. */
export type WireKind = (typeof WireKind)[keyof typeof WireKind];

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
 * A value of a request or a reply as JSON carries it: the value itself, or bytes in base64 (the
 * form of the reserved request messages, PROTOCOL.md).
 */
export type WireValue = { readonly value: unknown } | { readonly bytes: string };

/** The questions a node can ask the others. */
export type WireQuery =
  | { readonly kind: 'members'; readonly room: string }
  | { readonly kind: 'rooms' }
  | { readonly kind: 'roomsOf'; readonly connectionId: string }
  | { readonly kind: 'count' }
  | {
      /** `to(room).request()`: ask your recipients and report what they answered. */
      readonly kind: 'request';
      readonly rooms: readonly string[] | null;
      readonly except: readonly string[];
      readonly event: string;
      readonly value: WireValue;
      readonly timeout: number;
    };

/** What one node's recipients answered to a `request` query. */
export interface WireRequestReport {
  readonly replies: readonly (readonly [string, WireValue])[];
  readonly errors: readonly (readonly [
    string,
    { readonly code: string; readonly message: string },
  ])[];
  readonly missing: readonly string[];
}

/**
 * An answer: `ran` for a command; `list` for `members`/`rooms`/`roomsOf` (`null` from `roomsOf`
 * means "not my connection"); `count` for `count`; `report` for `request`.
 */
export interface WireReplyBody {
  readonly id: number;
  readonly ran?: boolean;
  readonly list?: readonly string[] | null;
  readonly count?: number;
  readonly report?: WireRequestReport;
}

/** A value as {@link WireValue} carries it. */
export function toWireValue(value: unknown): WireValue {
  if (value instanceof Uint8Array) {
    return {
      bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'),
    };
  }
  return { value: value === undefined ? null : value };
}

/** The value a {@link WireValue} carries (bytes as a Buffer). */
export function fromWireValue(wire: WireValue): unknown {
  return 'bytes' in wire ? Buffer.from(wire.bytes, 'base64') : wire.value;
}

/** A decoded message. */
export type WireMessage =
  | {
      readonly kind: typeof WireKind.Broadcast;
      readonly nodeId: string;
      readonly broadcast: OutboundBroadcast;
    }
  | {
      readonly kind: typeof WireKind.Command;
      readonly nodeId: string;
      readonly id: number;
      readonly command: RemoteCommand;
    }
  | {
      readonly kind: typeof WireKind.Request;
      readonly nodeId: string;
      readonly id: number;
      readonly query: WireQuery;
    }
  | {
      readonly kind: typeof WireKind.Reply;
      readonly nodeId: string;
      readonly reply: WireReplyBody;
    }
  | {
      readonly kind: typeof WireKind.Logged;
      readonly nodeId: string;
      readonly offset: number;
      readonly broadcast: OutboundBroadcast;
    };

/** Why a message could not be decoded; stable strings, counted and logged by the store. */
export const WireErrorCode = {
  /** Shorter than its header or than a length it announces. */
  Truncated: 'WIRE_TRUNCATED',
  /** Not a ws-rooms message at all (first byte). */
  BadMagic: 'WIRE_BAD_MAGIC',
  /** Written by a newer (or older) version of the codec. */
  UnsupportedVersion: 'WIRE_UNSUPPORTED_VERSION',
  /** A kind byte this version does not know. */
  UnknownKind: 'WIRE_UNKNOWN_KIND',
  /** An empty node id. */
  BadNodeId: 'WIRE_BAD_NODE_ID',
  /** Flag bits this version does not know. */
  BadFlags: 'WIRE_BAD_FLAGS',
  /** A JSON body that does not parse or does not have the expected shape. */
  BadBody: 'WIRE_BAD_BODY',
} as const;

/** One of the values of {@link WireErrorCode}. */
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

/** A message from Redis that is not a valid ws-rooms message. */
export class RedisWireError extends Error {
  override readonly name = 'RedisWireError';

  constructor(
    readonly code: WireErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The outcome of {@link decodeWire}: never throws on bad input. */
export type WireDecodeResult =
  | { readonly ok: true; readonly message: WireMessage }
  | { readonly ok: false; readonly error: RedisWireError };

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
 * Decodes a broadcast body as the log stream keeps it. Never throws; the message is a view into
 * `body`.
 */
export function decodeBroadcastBody(
  body: Buffer,
): { ok: true; broadcast: OutboundBroadcast } | { ok: false; error: RedisWireError } {
  return readBroadcast(body, 0);
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
 * Decodes any message. A broadcast's `message` is a view into `data` (no copy): the caller must not
 * reuse `data` while the broadcast is in use (ioredis hands every message its own Buffer).
 */
export function decodeWire(data: Buffer): WireDecodeResult {
  if (data.length < 4)
    return failure(
      WireErrorCode.Truncated,
      `message of ${data.length} bytes is shorter than a header`,
    );
  if (data[0] !== MAGIC)
    return failure(
      WireErrorCode.BadMagic,
      `first byte 0x${hex(data[0])} is not a ws-rooms message`,
    );
  if (data[1] !== WIRE_VERSION)
    return failure(
      WireErrorCode.UnsupportedVersion,
      `wire version ${data[1]} (this node speaks ${WIRE_VERSION})`,
    );
  const kind = data[2];
  const nodeLength = data[3];
  if (nodeLength === 0) return failure(WireErrorCode.BadNodeId, 'empty node id');
  if (data.length < 4 + nodeLength) return failure(WireErrorCode.Truncated, 'node id cut short');
  const nodeId = data.toString('utf8', 4, 4 + nodeLength);
  const at = 4 + nodeLength;
  switch (kind) {
    case WireKind.Broadcast:
      return decodeBroadcast(data, at, nodeId);
    case WireKind.Command:
      return decodeJsonBody(data, at, (body) => {
        const command = asCommand(body.command);
        return isRequestId(body.id) && command !== null
          ? { kind, nodeId, id: body.id, command }
          : null;
      });
    case WireKind.Request:
      return decodeJsonBody(data, at, (body) => {
        const query = asQuery(body.query);
        return isRequestId(body.id) && query !== null ? { kind, nodeId, id: body.id, query } : null;
      });
    case WireKind.Reply:
      return decodeJsonBody(data, at, (body) => {
        const reply = asReply(body);
        return reply === null ? null : { kind, nodeId, reply };
      });
    case WireKind.Logged:
      return decodeLogged(data, at, nodeId);
    default:
      return failure(WireErrorCode.UnknownKind, `unknown message kind ${kind}`);
  }
}

function decodeBroadcast(data: Buffer, start: number, nodeId: string): WireDecodeResult {
  const read = readBroadcast(data, start);
  if (!read.ok) return read;
  return { ok: true, message: { kind: WireKind.Broadcast, nodeId, broadcast: read.broadcast } };
}

/** The longest `<offset>-0` field before its `;`: 16 digits (more than any safe integer) and `-0`. */
const MAX_OFFSET_FIELD = 18;

function decodeLogged(data: Buffer, start: number, nodeId: string): WireDecodeResult {
  // Looked for in the field's bytes only: a large message without `;` is not scanned whole.
  const end = data.subarray(start, start + MAX_OFFSET_FIELD + 1).indexOf(0x3b) + start; // ';'
  if (end < start) {
    return failure(WireErrorCode.Truncated, 'logged broadcast without its offset');
  }
  const field = data.toString('latin1', start, end);
  const match = /^([1-9][0-9]*)-0$/.exec(field);
  const offset = match === null ? Number.NaN : Number(match[1]);
  if (!Number.isSafeInteger(offset)) {
    return failure(WireErrorCode.BadBody, `logged broadcast offset ${JSON.stringify(field)}`);
  }
  const read = readBroadcast(data, end + 1);
  if (!read.ok) return read;
  return {
    ok: true,
    message: { kind: WireKind.Logged, nodeId, offset, broadcast: read.broadcast },
  };
}

function readBroadcast(
  data: Buffer,
  start: number,
): { ok: true; broadcast: OutboundBroadcast } | { ok: false; error: RedisWireError } {
  if (data.length < start + 1) return failure(WireErrorCode.Truncated, 'broadcast flags missing');
  const flags = data[start];
  if ((flags & ~KNOWN_FLAGS) !== 0)
    return failure(WireErrorCode.BadFlags, `unknown flag bits 0x${hex(flags)}`);
  const rooms = readNames(data, start + 1);
  if (rooms === null) return failure(WireErrorCode.Truncated, 'target rooms cut short');
  const except = readNames(data, rooms.end);
  if (except === null) return failure(WireErrorCode.Truncated, 'except rooms cut short');
  const everyone = (flags & FLAG_EVERYONE) !== 0;
  if (everyone && rooms.names.length > 0) {
    return failure(WireErrorCode.BadFlags, 'a broadcast to every connection must not list rooms');
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

function readNames(data: Buffer, start: number): { names: string[]; end: number } | null {
  if (data.length < start + 4) return null;
  const count = data.readUInt32BE(start);
  // Each name takes at least its 4-byte length: a count beyond that is a lie, not an allocation.
  if (count > (data.length - start - 4) / 4) return null;
  const names: string[] = [];
  let at = start + 4;
  for (let i = 0; i < count; i++) {
    if (data.length < at + 4) return null;
    const length = data.readUInt32BE(at);
    at += 4;
    if (data.length < at + length) return null;
    names.push(data.toString('utf8', at, at + length));
    at += length;
  }
  return { names, end: at };
}

function encodeJson(nodeId: string, kind: WireKind, body: unknown): Buffer {
  const node = nodeIdBytes(nodeId);
  const json = Buffer.from(JSON.stringify(body), 'utf8');
  const out = Buffer.allocUnsafe(4 + node.length + json.length);
  json.copy(out, writeHeader(out, kind, node));
  return out;
}

type JsonBody = Record<string, unknown>;

function decodeJsonBody(
  data: Buffer,
  start: number,
  shape: (body: JsonBody) => WireMessage | null,
): WireDecodeResult {
  let body: unknown;
  try {
    body = JSON.parse(data.toString('utf8', start));
  } catch {
    return failure(WireErrorCode.BadBody, 'body is not JSON');
  }
  const message = isObject(body) ? shape(body) : null;
  if (message === null)
    return failure(WireErrorCode.BadBody, 'body does not have the expected shape');
  return { ok: true, message };
}

function asCommand(value: unknown): RemoteCommand | null {
  if (!isObject(value) || !isNonEmptyString(value.connectionId)) return null;
  const { kind, connectionId } = value;
  if (kind === 'join' || kind === 'leave') {
    return isNonEmptyString(value.room) ? { kind, connectionId, room: value.room } : null;
  }
  if (kind === 'disconnect' && Number.isInteger(value.code) && typeof value.reason === 'string') {
    return { kind, connectionId, code: value.code as number, reason: value.reason };
  }
  if (kind === 'takeover' && isNonEmptyString(value.token) && typeof value.owner === 'string') {
    return { kind, connectionId, token: value.token, owner: value.owner };
  }
  return null;
}

function asQuery(value: unknown): WireQuery | null {
  if (!isObject(value)) return null;
  switch (value.kind) {
    case 'members':
      return isNonEmptyString(value.room) ? { kind: 'members', room: value.room } : null;
    case 'roomsOf':
      return isNonEmptyString(value.connectionId)
        ? { kind: 'roomsOf', connectionId: value.connectionId }
        : null;
    case 'rooms':
    case 'count':
      return { kind: value.kind };
    case 'request': {
      const { rooms, except, event, timeout } = value;
      const wire = asWireValue(value.value);
      if (
        (rooms !== null && !isStringArray(rooms)) ||
        !isStringArray(except) ||
        !isNonEmptyString(event) ||
        !Number.isSafeInteger(timeout) ||
        (timeout as number) <= 0 ||
        wire === null
      ) {
        return null;
      }
      return { kind: 'request', rooms, except, event, value: wire, timeout: timeout as number };
    }
    default:
      return null;
  }
}

function asWireValue(value: unknown): WireValue | null {
  if (!isObject(value)) return null;
  if (typeof value.bytes === 'string') return { bytes: value.bytes };
  return 'value' in value ? { value: value.value } : null;
}

function asReport(value: unknown): WireRequestReport | null {
  if (!isObject(value) || !Array.isArray(value.replies) || !Array.isArray(value.errors))
    return null;
  if (!isStringArray(value.missing)) return null;
  const replies: (readonly [string, WireValue])[] = [];
  for (const entry of value.replies) {
    const wire = Array.isArray(entry) && isNonEmptyString(entry[0]) ? asWireValue(entry[1]) : null;
    if (wire === null) return null;
    replies.push([entry[0] as string, wire]);
  }
  const errors: (readonly [string, { code: string; message: string }])[] = [];
  for (const entry of value.errors) {
    if (!Array.isArray(entry) || !isNonEmptyString(entry[0]) || !isObject(entry[1])) return null;
    const { code, message } = entry[1];
    if (typeof code !== 'string' || typeof message !== 'string') return null;
    errors.push([entry[0], { code, message }]);
  }
  return { replies, errors, missing: value.missing };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function asReply(body: JsonBody): WireReplyBody | null {
  if (!isRequestId(body.id)) return null;
  const reply: {
    id: number;
    ran?: boolean;
    list?: string[] | null;
    count?: number;
    report?: WireRequestReport;
  } = { id: body.id };
  if (body.report !== undefined) {
    const report = asReport(body.report);
    if (report === null) return null;
    reply.report = report;
  }
  if (body.ran !== undefined) {
    if (typeof body.ran !== 'boolean') return null;
    reply.ran = body.ran;
  }
  if (body.list !== undefined) {
    if (
      body.list !== null &&
      !(Array.isArray(body.list) && body.list.every((item) => typeof item === 'string'))
    ) {
      return null;
    }
    reply.list = body.list as string[] | null;
  }
  if (body.count !== undefined) {
    if (!Number.isSafeInteger(body.count) || (body.count as number) < 0) return null;
    reply.count = body.count as number;
  }
  return reply;
}

function isObject(value: unknown): value is JsonBody {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function isRequestId(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0;
}

function failure(code: WireErrorCode, message: string): { ok: false; error: RedisWireError } {
  return { ok: false, error: new RedisWireError(code, message) };
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
