import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import {
  DEFAULT_MAX_JSON_STRING_LENGTH,
  DEFAULT_MAX_JSON_VALUES,
  exceededJsonBound,
  type JsonBounds,
} from './json-bounds';
import { INVALID_PAYLOAD, type JsonValue, parseTextPayload } from './payload-text';
import { PayloadType, RESERVED_EVENT_PREFIX } from './protocol.constants';

export type { JsonValue } from './payload-text';
export {
  DEFAULT_MAX_JSON_DEPTH,
  DEFAULT_MAX_JSON_STRING_LENGTH,
  DEFAULT_MAX_JSON_VALUES,
} from './json-bounds';

/** A value that `emit` can send; the type digit follows from its runtime type (docs/protocol.md, "Payload types"). */
export type EmitValue =
  | string
  | number
  | boolean
  | Buffer
  | Uint8Array
  | null
  | undefined
  | readonly unknown[]
  | { readonly [key: string]: unknown };

/** What a decoded event payload can be. */
export type DecodedValue = string | number | boolean | Buffer | JsonValue;

/** An inbound message that starts with the prefix and decoded cleanly. */
export interface DecodedEventMessage {
  readonly kind: 'event';
  readonly event: string;
  readonly type: PayloadType;
  readonly value: DecodedValue;
}

/** An inbound message that does not start with the prefix: handed raw to native handlers. */
export interface DecodedNativeMessage {
  readonly kind: 'native';
  readonly data: Buffer;
}

/** An inbound message that starts with the prefix but is malformed. */
export interface MalformedMessage {
  readonly kind: 'malformed';
  /** The event name when it could be read, for the error report. */
  readonly event?: string;
  readonly error: WsRoomsError;
}

/**
 * The head of an event message, read by {@link MessageCodec.readHeader} without looking at the
 * payload: enough to find the handler before paying for the value ({@link MessageCodec.decodeValue}).
 */
export interface EventMessageHeader {
  readonly kind: 'header';
  /** The event name: non-empty, no `;`, within `maxEventNameLength` bytes. */
  readonly event: string;
  /** The type digit, one of `0`..`4`. */
  readonly type: PayloadType;
  /** The whole message the header was read from; the value is decoded from it. */
  readonly data: Buffer;
  /** Offset in `data` where the payload starts (`data.length` for an empty payload). */
  readonly payloadStart: number;
  /** Offset in `data` just past the payload's last byte (always `data.length`). */
  readonly payloadEnd: number;
}

/** Bounds the decoder enforces on inbound messages. */
export interface DecodeLimits {
  /** Longest event name in UTF-8 bytes. Absent: unbounded. */
  readonly maxEventNameLength?: number;
  /** Deepest JSON nesting of a type-4 payload (a scalar alone is depth 0). Absent: unbounded. */
  readonly maxJsonDepth?: number;
  /**
   * Most JSON values in a type-4 payload: arrays, objects, object keys and scalars count one each.
   * @default DEFAULT_MAX_JSON_VALUES (32,768: more than any JSON text of 64 KiB can hold)
   */
  readonly maxJsonValues?: number;
  /**
   * Longest string (key or value) in a type-4 payload, in UTF-16 code units once parsed.
   * @default DEFAULT_MAX_JSON_STRING_LENGTH (65,536: more than a 64 KiB text can decode to)
   */
  readonly maxJsonStringLength?: number;
}

/** The result of {@link MessageCodec.decode}; decoding never throws. */
export type DecodeResult = DecodedEventMessage | DecodedNativeMessage | MalformedMessage;

/** The result of {@link MessageCodec.readHeader}; never throws. */
export type HeaderResult = EventMessageHeader | DecodedNativeMessage | MalformedMessage;

/** The result of {@link MessageCodec.decodeValue}; never throws. */
export type ValueResult = DecodedEventMessage | MalformedMessage;

const SEMICOLON = 0x3b;
const DIGIT_ZERO = 0x30;
const DIGIT_NINE = 0x39;

/**
 * The Iris event protocol as a pure codec: bytes in, values out, and back. It never touches a socket,
 * which is what lets the server, the Redis store and the tests share it.
 */
export class MessageCodec {
  private readonly prefixBytes: Buffer;
  private readonly maxEventNameLength: number;
  private readonly jsonBounds: JsonBounds;

  /**
   * @param prefix the event-message prefix (docs/protocol.md, "Message grammar").
   * @param limits bounds on inbound messages, see {@link DecodeLimits}.
   * @throws WsRoomsError `WS_ROOMS_INVALID_OPTION` for a limit that is not a non-negative integer
   *   or `Infinity`.
   */
  constructor(
    readonly prefix: string,
    limits: DecodeLimits = {},
  ) {
    this.prefixBytes = Buffer.from(prefix, 'utf8');
    this.maxEventNameLength = limitOf(limits, 'maxEventNameLength', Number.POSITIVE_INFINITY);
    this.jsonBounds = {
      maxDepth: limitOf(limits, 'maxJsonDepth', Number.POSITIVE_INFINITY),
      maxValues: limitOf(limits, 'maxJsonValues', DEFAULT_MAX_JSON_VALUES),
      maxStringLength: limitOf(limits, 'maxJsonStringLength', DEFAULT_MAX_JSON_STRING_LENGTH),
    };
  }

  /** True when `data` is an event message (starts with the prefix). */
  isEventMessage(data: Buffer): boolean {
    const prefix = this.prefixBytes;
    if (data.length < prefix.length) return false;
    return data.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
  }

  /**
   * Decodes one inbound message (docs/protocol.md, "Message grammar"): {@link readHeader}, then
   * {@link decodeValue}. Never throws.
   */
  decode(data: Buffer): DecodeResult {
    const header = this.readHeader(data);
    return header.kind === 'header' ? this.decodeValue(header) : header;
  }

  /**
   * The first step of {@link decode}: tells native from event messages and reads an event message's
   * name, type digit and payload bounds, without reading the payload (no text decoding, no JSON).
   * The server looks the handler up with the result and decodes the value only when someone will
   * receive it, so that a message to an event nobody handles costs a scan for its first `;`.
   * Malformed heads (no `;`, empty or too long a name, no or an unknown type digit) come back as
   * `malformed`. Never throws.
   */
  readHeader(data: Buffer): HeaderResult {
    if (!this.isEventMessage(data)) return { kind: 'native', data };
    const nameStart = this.prefixBytes.length;
    const nameEnd = data.indexOf(SEMICOLON, nameStart);
    if (nameEnd === -1) {
      return malformed(
        WsRoomsErrorCode.MalformedMessage,
        'event message without ";" after the event name',
      );
    }
    if (nameEnd === nameStart) {
      return malformed(WsRoomsErrorCode.MalformedMessage, 'event message with an empty event name');
    }
    if (nameEnd - nameStart > this.maxEventNameLength) {
      return malformed(
        WsRoomsErrorCode.EventNameTooLong,
        `event name longer than ${this.maxEventNameLength} bytes`,
      );
    }
    const event = data.toString('utf8', nameStart, nameEnd);
    const digitAt = nameEnd + 1;
    const digit = digitAt < data.length ? data[digitAt] : -1;
    if (digit < DIGIT_ZERO || digit > DIGIT_NINE) {
      return malformed(
        WsRoomsErrorCode.MalformedMessage,
        `event "${event}" has no type digit`,
        event,
      );
    }
    const type = digit - DIGIT_ZERO;
    if (!isPayloadType(type)) {
      return malformed(
        WsRoomsErrorCode.UnknownPayloadType,
        `event "${event}": unknown type digit ${type}`,
        event,
      );
    }
    // One separator character follows the digit; a message that ends right after it has an empty payload.
    const payloadStart = Math.min(digitAt + 2, data.length);
    return { kind: 'header', event, type, data, payloadStart, payloadEnd: data.length };
  }

  /**
   * The second step of {@link decode}: converts the payload of a header {@link readHeader} returned,
   * by its type digit. A JSON payload is checked against `maxJsonDepth`, `maxJsonValues` and
   * `maxJsonStringLength` in one linear scan before it is parsed. Never throws.
   */
  decodeValue(header: EventMessageHeader): ValueResult {
    const { event, type, data, payloadStart, payloadEnd } = header;
    switch (type) {
      case PayloadType.String:
        return {
          kind: 'event',
          event,
          type,
          value: data.toString('utf8', payloadStart, payloadEnd),
        };
      case PayloadType.Bytes:
        return { kind: 'event', event, type, value: data.subarray(payloadStart, payloadEnd) };
      case PayloadType.Int:
      case PayloadType.Bool:
      case PayloadType.Json: {
        const text = data.toString('utf8', payloadStart, payloadEnd);
        if (type === PayloadType.Json) {
          const tooLarge = this.checkJson(event, text);
          if (tooLarge !== undefined) return tooLarge;
        }
        const parsed = parseTextPayload(type, text);
        if (parsed === INVALID_PAYLOAD) {
          return malformed(
            WsRoomsErrorCode.InvalidPayload,
            `event "${event}": payload is not a valid ${TYPE_NAMES[type]}`,
            event,
          );
        }
        return { kind: 'event', event, type, value: parsed };
      }
      default:
        // Only a header built by hand can get here: readHeader refuses other digits.
        return malformed(
          WsRoomsErrorCode.UnknownPayloadType,
          `event "${event}": unknown type digit ${String(type)}`,
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
          WsRoomsErrorCode.JsonTooDeep,
          `event "${event}": JSON nested deeper than ${bounds.maxDepth}`,
          event,
        );
      case 'values':
        return malformed(
          WsRoomsErrorCode.JsonTooLarge,
          `event "${event}": JSON with more than ${bounds.maxValues} values`,
          event,
        );
      case 'string-length':
        return malformed(
          WsRoomsErrorCode.JsonTooLarge,
          `event "${event}": JSON string longer than ${bounds.maxStringLength} characters`,
          event,
        );
    }
  }

  /**
   * Encodes `emit(event, value)` as one message (docs/protocol.md, "Payload types").
   * @throws WsRoomsError `WS_ROOMS_INVALID_EVENT_NAME` for an empty name or one containing `;`,
   *   `WS_ROOMS_INVALID_PAYLOAD` for a value JSON cannot represent (a BigInt, a cycle).
   */
  encodeEvent(event: string, value: EmitValue): Buffer {
    assertEventName(event, false);
    const head = this.prefix + event + ';';
    if (typeof value === 'string') return Buffer.from(head + '0;' + value, 'utf8');
    if (typeof value === 'number' && Number.isSafeInteger(value)) {
      return Buffer.from(head + '1;' + String(value), 'utf8');
    }
    if (typeof value === 'boolean')
      return Buffer.from(head + (value ? '2;true' : '2;false'), 'utf8');
    if (value instanceof Uint8Array) {
      const headBytes = Buffer.from(head + '3;', 'utf8');
      return Buffer.concat([headBytes, value], headBytes.length + value.length);
    }
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (error) {
      throw new WsRoomsError(
        WsRoomsErrorCode.InvalidPayload,
        `event "${event}": value cannot be encoded as JSON (${(error as Error).message})`,
      );
    }
    return Buffer.from(head + '4;' + (json ?? 'null'), 'utf8');
  }
}

const TYPE_NAMES = ['string', 'integer', 'boolean', 'bytes', 'JSON'] as const;

function isPayloadType(type: number): type is PayloadType {
  return type >= PayloadType.String && type <= PayloadType.Json;
}

/** A limit from `limits`, or `fallback` when absent; refuses what no bound can mean. */
function limitOf(limits: DecodeLimits, name: keyof DecodeLimits, fallback: number): number {
  const value = limits[name];
  if (value === undefined) return fallback;
  if (value === Number.POSITIVE_INFINITY || (Number.isSafeInteger(value) && value >= 0))
    return value;
  throw new WsRoomsError(
    WsRoomsErrorCode.InvalidOption,
    `"${name}" must be a non-negative integer or Infinity, got ${String(value)}`,
  );
}

function malformed(code: WsRoomsErrorCode, message: string, event?: string): MalformedMessage {
  return { kind: 'malformed', event, error: new WsRoomsError(code, message) };
}

/**
 * Checks an event name for sending or for a handler declaration.
 * @param forHandler when true, names in the reserved `ws-rooms:` space are refused too.
 */
export function assertEventName(event: string, forHandler: boolean): void {
  if (typeof event !== 'string' || event.length === 0 || event.includes(';')) {
    throw new WsRoomsError(
      WsRoomsErrorCode.InvalidEventName,
      `Invalid event name ${JSON.stringify(event)}: it must be a non-empty string without ";"`,
    );
  }
  if (forHandler && event.startsWith(RESERVED_EVENT_PREFIX)) {
    throw new WsRoomsError(
      WsRoomsErrorCode.InvalidEventName,
      `Invalid event name "${event}": names starting with "${RESERVED_EVENT_PREFIX}" are reserved by ws-rooms`,
    );
  }
}
