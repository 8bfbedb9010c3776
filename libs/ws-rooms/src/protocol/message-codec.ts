import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import { jsonDepthExceeds } from './json-depth';
import { INVALID_PAYLOAD, type JsonValue, parseTextPayload } from './payload-text';

export type { JsonValue } from './payload-text';
import { PayloadType, RESERVED_EVENT_PREFIX } from './protocol.constants';

/** A value that `emit` can send; the type digit follows from its runtime type (PROTOCOL.md section 3). */
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

/** Bounds the decoder enforces on inbound messages (absent: unbounded). */
export interface DecodeLimits {
  /** Longest event name in bytes. */
  readonly maxEventNameLength?: number;
  /** Deepest JSON nesting of a type-4 payload. */
  readonly maxJsonDepth?: number;
}

/** The result of {@link MessageCodec.decode}; decoding never throws. */
export type DecodeResult = DecodedEventMessage | DecodedNativeMessage | MalformedMessage;

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
  private readonly maxJsonDepth: number;

  constructor(
    readonly prefix: string,
    limits: DecodeLimits = {},
  ) {
    this.prefixBytes = Buffer.from(prefix, 'utf8');
    this.maxEventNameLength = limits.maxEventNameLength ?? Number.POSITIVE_INFINITY;
    this.maxJsonDepth = limits.maxJsonDepth ?? Number.POSITIVE_INFINITY;
  }

  /** True when `data` is an event message (starts with the prefix). */
  isEventMessage(data: Buffer): boolean {
    const prefix = this.prefixBytes;
    if (data.length < prefix.length) return false;
    return data.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
  }

  /** Decodes one inbound message (PROTOCOL.md section 2). Never throws. */
  decode(data: Buffer): DecodeResult {
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
    if (digitAt >= data.length) {
      return malformed(
        WsRoomsErrorCode.MalformedMessage,
        `event "${event}" has no type digit`,
        event,
      );
    }
    const digit = data[digitAt];
    if (digit < DIGIT_ZERO || digit > DIGIT_NINE) {
      return malformed(
        WsRoomsErrorCode.MalformedMessage,
        `event "${event}" has no type digit`,
        event,
      );
    }
    const type = digit - DIGIT_ZERO;
    // One separator character follows the digit; a message that ends right after it has an empty payload.
    const payloadStart = Math.min(digitAt + 2, data.length);
    switch (type) {
      case PayloadType.String:
        return { kind: 'event', event, type, value: data.toString('utf8', payloadStart) };
      case PayloadType.Bytes:
        return { kind: 'event', event, type, value: data.subarray(payloadStart) };
      case PayloadType.Int:
      case PayloadType.Bool:
      case PayloadType.Json: {
        const text = data.toString('utf8', payloadStart);
        if (type === PayloadType.Json && jsonDepthExceeds(text, this.maxJsonDepth)) {
          return malformed(
            WsRoomsErrorCode.JsonTooDeep,
            `event "${event}": JSON nested deeper than ${this.maxJsonDepth}`,
            event,
          );
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
        return malformed(
          WsRoomsErrorCode.UnknownPayloadType,
          `event "${event}": unknown type digit ${type}`,
          event,
        );
    }
  }

  /**
   * Encodes `emit(event, value)` as one message (PROTOCOL.md section 3).
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
