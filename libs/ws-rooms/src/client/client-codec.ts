import { exceededJsonBound, type JsonBounds } from '../protocol/json-bounds';
import { INVALID_PAYLOAD, type JsonValue, parseTextPayload } from '../protocol/payload-text';
import { DEFAULT_PREFIX, PayloadType } from '../protocol/protocol.constants';
import { WsRoomsClientError, WsRoomsClientErrorCode } from './client-errors';
import type { SocketData } from './websocket-like';

/** A value that `JSON.parse` can produce. */
export type { JsonValue } from '../protocol/payload-text';

/** What a decoded event payload can be, by type digit: 0 string, 1 number or boolean, 2 boolean, 3 bytes, 4 JSON. */
export type ClientDecodedValue = string | number | boolean | Uint8Array | JsonValue;

/**
 * What `emit` encodes, and how (docs/protocol.md, "Payload types"): `string` → 0, safe integer → 1, `boolean`
 * → 2, bytes (`Uint8Array`, any `ArrayBufferView`, `ArrayBuffer`) → 3, anything else → 4 as JSON
 * (`undefined` becomes `null`).
 */
export type ClientEmitValue =
  | string
  | number
  | boolean
  | Uint8Array
  | ArrayBuffer
  | ArrayBufferView
  | null
  | undefined
  | readonly unknown[]
  | { readonly [key: string]: unknown };

/** A server message that starts with the prefix, split into its parts but not yet converted. */
export interface ParsedEventMessage {
  readonly kind: 'event';
  readonly event: string;
  /** The type digit, 0..9 (only 0..4 are defined; {@link ClientCodec.decode} rejects the rest). */
  readonly type: number;
  /** Everything after the head, in the frame's own form: text for text frames, bytes for binary ones. */
  readonly payload: string | Uint8Array;
}

/** A server message that does not start with the prefix; `data` is the frame as received. */
export interface NativeMessage {
  readonly kind: 'native';
  readonly data: string | Uint8Array;
}

/** A server message that starts with the prefix but cannot be decoded. */
export interface MalformedMessage {
  readonly kind: 'malformed';
  /** The event name, when it could be read. */
  readonly event?: string;
  readonly error: WsRoomsClientError;
}

/** A decoded event message. */
export interface DecodedEventMessage {
  readonly kind: 'event';
  readonly event: string;
  readonly type: PayloadType;
  readonly value: ClientDecodedValue;
}

/**
 * Bounds the client puts on the JSON payloads a server sends, checked in one linear scan before
 * `JSON.parse`, so that a hostile or broken server cannot make the client build an unbounded graph.
 * `Infinity` lifts a bound.
 */
export interface ClientDecodeLimits {
  /**
   * Deepest nesting of arrays and objects (a scalar alone is depth 0).
   * @default 256
   */
  readonly maxJsonDepth?: number;
  /**
   * Most values in one payload: arrays, objects, object keys and scalars count one each.
   * @default 1048576
   */
  readonly maxJsonValues?: number;
  /**
   * Longest string, key or value, in UTF-16 code units once parsed.
   * @default 16777216
   */
  readonly maxJsonStringLength?: number;
}

/**
 * The client's default JSON bounds. Looser than the server's (`maxJsonDepth` 32, `maxJsonValues`
 * 32,768, `maxJsonStringLength` 65,536), which protect a server from any browser: a server's own
 * messages have no size limit and may legitimately be large (a presence snapshot of a crowded room,
 * a history page), so these only stop what no application sends: nesting deep enough to overflow
 * the stack of a recursive consumer, a graph of more than a million values (tens of megabytes of
 * heap), strings of more than 16 Mi characters.
 */
export const DEFAULT_CLIENT_DECODE_LIMITS: Readonly<Required<ClientDecodeLimits>> = Object.freeze({
  maxJsonDepth: 256,
  maxJsonValues: 1_048_576,
  maxJsonStringLength: 16_777_216,
});

/** The result of {@link ClientCodec.parse}; never throws. */
export type ParseResult = ParsedEventMessage | NativeMessage | MalformedMessage;

/** The result of {@link ClientCodec.decode}; never throws. */
export type DecodeResult = DecodedEventMessage | NativeMessage | MalformedMessage;

const SEMICOLON = 0x3b;
const DIGIT_ZERO = 0x30;
const DIGIT_NINE = 0x39;
const TYPE_NAMES = ['string', 'integer', 'boolean', 'bytes', 'JSON'] as const;

const utf8Encoder = new TextEncoder();
// Not `fatal`: a stray invalid byte becomes U+FFFD, as the server's Buffer decoding does, rather than
// turning a whole message into an error.
const utf8Decoder = new TextDecoder('utf-8');

/**
 * The Iris event protocol for the client side, as a pure codec: no socket, no Node `Buffer` (so it
 * bundles for browsers), only strings, `Uint8Array` and `ArrayBuffer`. Text and binary frames decode
 * to the same values, because the server switches every frame to binary under `binaryMessages`.
 */
export class ClientCodec {
  private readonly prefixBytes: Uint8Array;
  private readonly jsonBounds: JsonBounds;

  /**
   * @throws WsRoomsClientError `WS_ROOMS_CLIENT_INVALID_OPTION` for an empty prefix or a limit that
   *   is not a non-negative integer or `Infinity`.
   */
  constructor(
    /** The event-message prefix. @default 'iris-websocket-message:' */
    readonly prefix: string = DEFAULT_PREFIX,
    /** Bounds on the JSON payloads decoded. @default DEFAULT_CLIENT_DECODE_LIMITS */
    limits: ClientDecodeLimits = {},
  ) {
    if (typeof prefix !== 'string' || prefix.length === 0) {
      throw new WsRoomsClientError(
        WsRoomsClientErrorCode.InvalidOption,
        `Invalid prefix ${JSON.stringify(prefix)}: it must be a non-empty string`,
      );
    }
    this.prefixBytes = utf8Encoder.encode(prefix);
    this.jsonBounds = {
      maxDepth: limitOf(limits, 'maxJsonDepth'),
      maxValues: limitOf(limits, 'maxJsonValues'),
      maxStringLength: limitOf(limits, 'maxJsonStringLength'),
    };
  }

  /**
   * Encodes `emit(event, value)` as one message: a string for a text frame, or bytes for a binary
   * frame (type 3, where the payload is raw bytes after the UTF-8 head).
   * @throws WsRoomsClientError `WS_ROOMS_INVALID_EVENT_NAME` for an empty name or one containing
   *   `;`; `WS_ROOMS_INVALID_PAYLOAD` for a value JSON cannot represent (a BigInt, a cycle).
   */
  encode(event: string, value: unknown): SocketData {
    assertEventName(event);
    const head = this.prefix + event + ';';
    if (typeof value === 'string') return head + '0;' + value;
    if (typeof value === 'number' && Number.isSafeInteger(value))
      return head + '1;' + String(value);
    if (typeof value === 'boolean') return head + (value ? '2;true' : '2;false');
    const bytes = asBytes(value);
    if (bytes !== undefined) {
      const headBytes = utf8Encoder.encode(head + '3;');
      const message = new Uint8Array(headBytes.length + bytes.length);
      message.set(headBytes, 0);
      message.set(bytes, headBytes.length);
      return message;
    }
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (error) {
      throw new WsRoomsClientError(
        WsRoomsClientErrorCode.InvalidPayload,
        `event "${event}": value cannot be encoded as JSON (${(error as Error).message})`,
        { cause: error, event },
      );
    }
    // JSON.stringify gives undefined for undefined, functions and symbols: they travel as null.
    return head + '4;' + (json ?? 'null');
  }

  /** True when the frame is an event message (starts with the prefix). */
  isEventMessage(frame: string | Uint8Array): boolean {
    if (typeof frame === 'string') return frame.startsWith(this.prefix);
    const prefix = this.prefixBytes;
    if (frame.length < prefix.length) return false;
    for (let i = 0; i < prefix.length; i++) {
      if (frame[i] !== prefix[i]) return false;
    }
    return true;
  }

  /**
   * Splits a server message into event, type digit and raw payload, without converting the payload.
   * The compat `Ws` class stops here (its handlers get the payload text, as Iris pages expect).
   * Never throws.
   */
  parse(data: unknown): ParseResult {
    const frame = toFrame(data);
    if (frame === undefined) {
      return malformed(
        WsRoomsClientErrorCode.UnsupportedData,
        `unsupported message data (${describe(data)}): expected a string or bytes`,
      );
    }
    if (!this.isEventMessage(frame)) return { kind: 'native', data: frame };
    return typeof frame === 'string' ? this.parseText(frame) : this.parseBytes(frame);
  }

  /**
   * Decodes one server message: the payload converted by its type digit (docs/protocol.md, "Message grammar" and "Payload types",
   * with the server's leniency for type 1: finite decimals and `true`/`false` are accepted). Never
   * throws: problems come back as `kind: 'malformed'` with the same codes the server uses.
   */
  decode(data: unknown): DecodeResult {
    const parsed = this.parse(data);
    return parsed.kind === 'event' ? this.convert(parsed) : parsed;
  }

  /**
   * The second half of {@link decode}: converts the payload of a parsed event message by its type
   * digit. Split out so that a caller can look at the event name first and handle the raw payload
   * itself (the recovery wrapper `ws-rooms:m` must be cut at byte level, not decoded as text).
   * Never throws.
   */
  convert(parsed: ParsedEventMessage): DecodedEventMessage | MalformedMessage {
    const { event, type, payload } = parsed;
    switch (type) {
      case PayloadType.String:
        return { kind: 'event', event, type, value: toText(payload) };
      case PayloadType.Bytes:
        return { kind: 'event', event, type, value: toBytes(payload) };
      case PayloadType.Int:
      case PayloadType.Bool:
      case PayloadType.Json: {
        const text = toText(payload);
        if (type === PayloadType.Json) {
          const tooLarge = this.checkJson(event, text);
          if (tooLarge !== undefined) return tooLarge;
        }
        const value = parseTextPayload(type, text);
        if (value === INVALID_PAYLOAD) {
          return malformed(
            WsRoomsClientErrorCode.InvalidPayload,
            `event "${event}": payload is not a valid ${TYPE_NAMES[type]}`,
            event,
          );
        }
        return { kind: 'event', event, type, value };
      }
      default:
        return malformed(
          WsRoomsClientErrorCode.UnknownPayloadType,
          `event "${event}": unknown type digit ${type}`,
          event,
        );
    }
  }

  private checkJson(event: string, text: string): MalformedMessage | undefined {
    const bounds = this.jsonBounds;
    switch (exceededJsonBound(text, bounds)) {
      case undefined:
        return undefined;
      case 'depth':
        return malformed(
          WsRoomsClientErrorCode.JsonTooDeep,
          `event "${event}": JSON nested deeper than ${bounds.maxDepth}`,
          event,
        );
      case 'values':
        return malformed(
          WsRoomsClientErrorCode.JsonTooLarge,
          `event "${event}": JSON with more than ${bounds.maxValues} values`,
          event,
        );
      case 'string-length':
        return malformed(
          WsRoomsClientErrorCode.JsonTooLarge,
          `event "${event}": JSON string longer than ${bounds.maxStringLength} characters`,
          event,
        );
    }
  }

  private parseText(frame: string): ParseResult {
    const nameStart = this.prefix.length;
    const nameEnd = frame.indexOf(';', nameStart);
    const head = checkHead(nameStart, nameEnd, frame.length, () => frame.slice(nameStart, nameEnd));
    if (head.kind === 'malformed') return head;
    const digit = frame.charCodeAt(nameEnd + 1);
    if (digit < DIGIT_ZERO || digit > DIGIT_NINE) return noTypeDigit(head.event);
    // One separator character follows the digit; a message that ends right after it has an empty payload.
    const payload = frame.slice(Math.min(nameEnd + 3, frame.length));
    return { kind: 'event', event: head.event, type: digit - DIGIT_ZERO, payload };
  }

  private parseBytes(frame: Uint8Array): ParseResult {
    const nameStart = this.prefixBytes.length;
    const nameEnd = frame.indexOf(SEMICOLON, nameStart);
    const head = checkHead(nameStart, nameEnd, frame.length, () =>
      utf8Decoder.decode(frame.subarray(nameStart, nameEnd)),
    );
    if (head.kind === 'malformed') return head;
    const digit = frame[nameEnd + 1];
    if (digit < DIGIT_ZERO || digit > DIGIT_NINE) return noTypeDigit(head.event);
    const payload = frame.subarray(Math.min(nameEnd + 3, frame.length));
    return { kind: 'event', event: head.event, type: digit - DIGIT_ZERO, payload };
  }
}

/**
 * Checks an event name for sending: non-empty, no `;` (the protocol has no escaping).
 * @throws WsRoomsClientError `WS_ROOMS_INVALID_EVENT_NAME`
 */
export function assertEventName(event: unknown): asserts event is string {
  if (typeof event !== 'string' || event.length === 0 || event.includes(';')) {
    throw new WsRoomsClientError(
      WsRoomsClientErrorCode.InvalidEventName,
      `Invalid event name ${JSON.stringify(event)}: it must be a non-empty string without ";"`,
    );
  }
}

/** A limit from `limits`, or its default; refuses what no bound can mean. */
function limitOf(limits: ClientDecodeLimits, name: keyof ClientDecodeLimits): number {
  const value = limits[name];
  if (value === undefined) return DEFAULT_CLIENT_DECODE_LIMITS[name];
  if (value === Number.POSITIVE_INFINITY || (Number.isSafeInteger(value) && value >= 0))
    return value;
  throw new WsRoomsClientError(
    WsRoomsClientErrorCode.InvalidOption,
    `"${name}" must be a non-negative integer or Infinity, got ${String(value)}`,
  );
}

/** The shared head checks of text and binary frames; `readName` runs only once the bounds are known good. */
function checkHead(
  nameStart: number,
  nameEnd: number,
  length: number,
  readName: () => string,
): { kind: 'head'; event: string } | MalformedMessage {
  if (nameEnd === -1) {
    return malformed(
      WsRoomsClientErrorCode.MalformedMessage,
      'event message without ";" after the event name',
    );
  }
  if (nameEnd === nameStart) {
    return malformed(
      WsRoomsClientErrorCode.MalformedMessage,
      'event message with an empty event name',
    );
  }
  const event = readName();
  if (nameEnd + 1 >= length) return noTypeDigit(event);
  return { kind: 'head', event };
}

function noTypeDigit(event: string): MalformedMessage {
  return malformed(
    WsRoomsClientErrorCode.MalformedMessage,
    `event "${event}" has no type digit`,
    event,
  );
}

function toText(payload: string | Uint8Array): string {
  return typeof payload === 'string' ? payload : utf8Decoder.decode(payload);
}

/**
 * Bytes of a type-3 payload. From a binary frame they are copied out, so the value does not keep the
 * whole frame alive or alias a pooled buffer; from a text frame they are the text's UTF-8 bytes,
 * which are the bytes the server sent whenever a text frame could carry them at all.
 */
function toBytes(payload: string | Uint8Array): Uint8Array {
  return typeof payload === 'string' ? utf8Encoder.encode(payload) : new Uint8Array(payload);
}

/**
 * Normalises what a WebSocket implementation hands to `onmessage`: a string, an `ArrayBuffer`
 * (browsers and `ws` with `binaryType = 'arraybuffer'`) or a view such as Node's `Buffer`. The
 * `ArrayBuffer` test is by tag, not `instanceof`, so buffers from another realm (an iframe, `node:vm`)
 * are recognised.
 */
function toFrame(data: unknown): string | Uint8Array | undefined {
  if (typeof data === 'string') return data;
  if (isArrayBuffer(data)) return new Uint8Array(data);
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

function asBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  if (isArrayBuffer(value)) return new Uint8Array(value);
  return undefined;
}

function isArrayBuffer(value: unknown): value is ArrayBuffer {
  return Object.prototype.toString.call(value) === '[object ArrayBuffer]';
}

function describe(data: unknown): string {
  if (data === null) return 'null';
  if (typeof data !== 'object') return typeof data;
  return Object.prototype.toString.call(data).slice(8, -1);
}

function malformed(
  code: WsRoomsClientErrorCode,
  message: string,
  event?: string,
): MalformedMessage {
  return { kind: 'malformed', event, error: new WsRoomsClientError(code, message, { event }) };
}
