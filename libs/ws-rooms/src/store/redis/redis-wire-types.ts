import type { OutboundBroadcast, RemoteCommand } from '../room-store.interface';

/** The kinds of message nodes exchange (the third byte of every message). */
export const WireKind = {
  /** A broadcast already delivered on its origin node. */
  Broadcast: 1,
  /** A join/leave/disconnect/takeover for a connection of whichever node owns it. */
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

/**
 * A value of a request or a reply as JSON carries it: the value itself, or bytes in base64 (the
 * form of the reserved request messages, docs/protocol.md).
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
  /**
   * Beyond a bound of {@link WireLimits}: too many bytes, too many names, a name too long, JSON
   * nested too deep, or a number out of its range. Dropped before it is parsed further.
   */
  OverLimit: 'WIRE_OVER_LIMIT',
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

/** A failed decoding; never thrown, returned. */
export interface WireFailure {
  readonly ok: false;
  readonly error: RedisWireError;
}

/** The outcome of decoding a message: never throws on bad input. */
export type WireDecodeResult = { readonly ok: true; readonly message: WireMessage } | WireFailure;

/** A failed decoding with its code. */
export function wireFailure(code: WireErrorCode, message: string): WireFailure {
  return { ok: false, error: new RedisWireError(code, message) };
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
