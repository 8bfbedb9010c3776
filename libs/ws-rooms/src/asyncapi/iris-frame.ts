import { PayloadType } from '../protocol/protocol.constants';
import type { AsyncApiSchema } from './asyncapi-document.types';

/**
 * How a value travels in an Iris event message, which AsyncAPI cannot say by itself: one websocket
 * message `<prefix><event>;<type digit>;<payload>`, text or binary frame alike. The document gives
 * each message a `headers` schema for that head (prefix, event, type digit) and the payload schema of
 * the value the payload encodes.
 */
export interface FrameTypes {
  /** The type digits this message may carry. */
  readonly digits: readonly PayloadType[];
  /** The digit senders use (the modern client and the server pick it from the value's type). */
  readonly usual: PayloadType;
}

const ALL_DIGITS: readonly PayloadType[] = [0, 1, 2, 3, 4];

/** What each digit's payload is, for descriptions. */
export const DIGIT_MEANINGS =
  '0 string (the UTF-8 text as it is), 1 integer (decimal text), 2 boolean (`true`/`false`), ' +
  '3 bytes (as they are), 4 JSON (one JSON text)';

/**
 * The digits the server accepts for a handler's declared `@MessageBody()` type, since it converts
 * the decoded value to that type (docs/protocol.md, "Payload types"): a `string` body takes every
 * digit, a `number` decimal text of 0, 1, 3 or a JSON number, a `boolean` the boolean words of 0,
 * 1, 2, 3 or a JSON boolean, bytes any digit (as UTF-8 text unless 3). Objects and DTO classes
 * are read as decoded, for pipes: JSON (4) is the usual digit.
 */
export function inboundFrame(declared: unknown): FrameTypes {
  if (declared === String) return { digits: ALL_DIGITS, usual: PayloadType.String };
  if (declared === Number) {
    return { digits: [0, 1, 3, 4], usual: PayloadType.Int };
  }
  if (declared === Boolean) return { digits: [0, 1, 2, 3, 4], usual: PayloadType.Bool };
  if (declared === Buffer || declared === Uint8Array) {
    return { digits: ALL_DIGITS, usual: PayloadType.Bytes };
  }
  return { digits: ALL_DIGITS, usual: PayloadType.Json };
}

/**
 * The digits the server writes for a value of a declared type: `emit` picks the digit from the
 * value's run-time type (string 0, safe integer 1, boolean 2, bytes 3, anything else JSON 4).
 */
export function outboundFrame(declared: unknown): FrameTypes {
  if (declared === String) return { digits: [0], usual: PayloadType.String };
  if (declared === Number) return { digits: [1, 4], usual: PayloadType.Int };
  if (declared === Boolean) return { digits: [2], usual: PayloadType.Bool };
  if (declared === Buffer || declared === Uint8Array)
    return { digits: [3], usual: PayloadType.Bytes };
  if (typeof declared === 'function' && declared !== Object) {
    return { digits: [4], usual: PayloadType.Json };
  }
  return { digits: ALL_DIGITS, usual: PayloadType.Json };
}

/** A JSON-only frame (every reserved event but `ws-rooms:m`). */
export const JSON_FRAME: FrameTypes = Object.freeze({
  digits: [PayloadType.Json],
  usual: PayloadType.Json,
});

/** The media type of a payload carried with the digit `digit`. */
export function contentTypeOf(digit: PayloadType): string {
  if (digit === PayloadType.Json) return 'application/json';
  if (digit === PayloadType.Bytes) return 'application/octet-stream';
  return 'text/plain';
}

/**
 * The `headers` schema of an event message: not transport headers, but the head of the frame that
 * precedes the payload in the same websocket message.
 */
export function frameHeadSchema(prefix: string, event: string, frame: FrameTypes): AsyncApiSchema {
  return {
    type: 'object',
    description: `Not separate headers: the head of the Iris frame before the payload, in the same websocket message (\`${prefix}${event};<type>;<payload>\`).`,
    properties: {
      prefix: { type: 'string', const: prefix },
      event: { type: 'string', const: event },
      type: { type: 'integer', enum: [...frame.digits] },
    },
    required: ['prefix', 'event', 'type'],
  };
}

/** The frame as text, e.g. `iris-websocket-message:chat;0;<payload>` (the digit it usually has). */
export function frameTemplate(prefix: string, event: string, frame: FrameTypes): string {
  return `${prefix}${event};${frame.usual};<payload>`;
}

/**
 * The description of the frame, the same for every message: the grammar of docs/protocol.md,
 * "Message grammar", shortened.
 */
export function frameDescription(prefix: string): string {
  return [
    `Every event message is one websocket message (text or binary frame): the prefix \`${prefix}\`,`,
    'the event name (any bytes but `;`), `;`, one type digit, one separator byte (always `;` when',
    'sent; the receiver skips it unread), then the payload up to the end of the message, `;`',
    `included. Type digits: ${DIGIT_MEANINGS}. The \`headers\` of each message describe that head;`,
    'its `payload` schema describes the value the payload encodes. A message without the prefix is',
    'a native message, delivered whole to `@OnMessage()` handlers.',
  ].join(' ');
}
