import { ReservedEvent } from '../protocol/protocol.constants';
import type { AsyncApiJson, AsyncApiMessage, AsyncApiSchema } from './asyncapi-document.types';
import {
  contentTypeOf,
  type FrameTypes,
  frameHeadSchema,
  frameTemplate,
  JSON_FRAME,
} from './iris-frame';
import { BYTES_SCHEMA } from './schema-registry';

/** What {@link eventMessage} needs to describe one kind of event message. */
export interface EventMessageSpec {
  readonly prefix: string;
  /** The event name in the frame's head. */
  readonly event: string;
  readonly title: string;
  readonly summary?: string;
  readonly description?: string;
  readonly frame: FrameTypes;
  readonly payload: AsyncApiSchema;
  /** For requests and replies: they are matched by the envelope's `id`. */
  readonly correlated?: boolean;
  /** Further `x-` members. */
  readonly extensions?: Readonly<Record<`x-${string}`, AsyncApiJson>>;
}

/**
 * A Message Object for an Iris event message: the frame's head as `headers`, the value as
 * `payload`, the media type of the usual digit, and the frame spelled out in `x-ws-rooms-frame`.
 */
export function eventMessage(spec: EventMessageSpec): AsyncApiMessage {
  return {
    name: spec.event,
    title: spec.title,
    ...(spec.summary === undefined ? {} : { summary: spec.summary }),
    ...(spec.description === undefined ? {} : { description: spec.description }),
    contentType: contentTypeOf(spec.frame.usual),
    headers: frameHeadSchema(spec.prefix, spec.event, spec.frame),
    payload: spec.payload,
    ...(spec.correlated === true
      ? {
          correlationId: {
            description: 'a request and its reply carry the same id',
            location: '$message.payload#/id',
          },
        }
      : {}),
    'x-ws-rooms-event': spec.event,
    'x-ws-rooms-frame': frameTemplate(spec.prefix, spec.event, spec.frame),
    ...spec.extensions,
  };
}

const REQUEST_ID: AsyncApiSchema = {
  type: 'integer',
  minimum: 1,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'chosen by the asking side, unique among its requests waiting',
};

const BASE64_BYTES: AsyncApiSchema = {
  type: 'string',
  contentEncoding: 'base64',
  description: 'the value when it is bytes, base64-encoded, instead of "value"',
};

/** A schema with a description; a `$ref` is wrapped, since draft 07 ignores its siblings. */
export function described(schema: AsyncApiSchema, description: string): AsyncApiSchema {
  if (schema.$ref !== undefined) return { allOf: [schema], description };
  const own = schema.description;
  return { ...schema, description: own === undefined ? description : `${description}: ${own}` };
}

/** True for the schema of bytes, which an envelope carries under `bytes`. */
function isBytes(schema: AsyncApiSchema): boolean {
  return schema.format === BYTES_SCHEMA.format && schema.type === BYTES_SCHEMA.type;
}

/**
 * The payload of `ws-rooms:req`: `{ id, event, value }` or `{ id, event, bytes }`. `event` is the
 * given name (`const`), or any name but `excluded` (the requests nobody declared or handles).
 */
export function requestEnvelopeSchema(
  event: string | { readonly excluded: readonly string[] },
  value: AsyncApiSchema,
): AsyncApiSchema {
  const eventSchema: AsyncApiSchema =
    typeof event === 'string'
      ? { type: 'string', const: event }
      : {
          type: 'string',
          minLength: 1,
          pattern: '^[^;]+$',
          ...(event.excluded.length === 0 ? {} : { not: { enum: [...event.excluded] } }),
        };
  return {
    type: 'object',
    properties: {
      id: REQUEST_ID,
      event: eventSchema,
      value: isBytes(value)
        ? { description: 'the request value as JSON, converted to the UTF-8 bytes of its text' }
        : described(value, 'the request value as JSON; a missing value is null'),
      bytes: BASE64_BYTES,
    },
    required: ['id', 'event'],
  };
}

/** The payload of a successful `ws-rooms:res`: `{ id, value }` or, for bytes, `{ id, bytes }`. */
export function replyEnvelopeSchema(value: AsyncApiSchema): AsyncApiSchema {
  return {
    type: 'object',
    properties: {
      id: REQUEST_ID,
      ...(isBytes(value)
        ? { bytes: BASE64_BYTES }
        : { value: described(value, 'the reply value as JSON'), bytes: BASE64_BYTES }),
    },
    required: isBytes(value) ? ['id', 'bytes'] : ['id'],
    not: { required: ['error'] },
  };
}

/** The payload of a failed `ws-rooms:res`: `{ id, error: { code, message, status?, details? } }`. */
export function errorReplySchema(): AsyncApiSchema {
  return {
    type: 'object',
    properties: {
      id: REQUEST_ID,
      error: { $ref: '#/components/schemas/WsRoomsReplyError' },
    },
    required: ['id', 'error'],
  };
}

/** A `ws-rooms:req` message (JSON, correlated by `id`). */
export function requestMessage(
  prefix: string,
  title: string,
  description: string,
  payload: AsyncApiSchema,
): AsyncApiMessage {
  return eventMessage({
    prefix,
    event: ReservedEvent.Request,
    title,
    description,
    frame: JSON_FRAME,
    payload,
    correlated: true,
  });
}

/** A `ws-rooms:res` message (JSON, correlated by `id`). */
export function replyMessage(
  prefix: string,
  title: string,
  description: string,
  payload: AsyncApiSchema,
): AsyncApiMessage {
  return eventMessage({
    prefix,
    event: ReservedEvent.Reply,
    title,
    description,
    frame: JSON_FRAME,
    payload,
    correlated: true,
  });
}
