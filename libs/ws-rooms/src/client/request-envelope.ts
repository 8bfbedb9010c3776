import { decodeBase64, encodeBase64 } from './base64';
import type { ClientDecodedValue, JsonValue } from './client-codec';
import type { WsRoomsServerErrorPayload } from './client-errors';

/**
 * The JSON envelopes of requests and replies (`ws-rooms:req` / `ws-rooms:res`, type 4), the client's
 * side of `protocol/reserved-messages.ts`, without Node's `Buffer`:
 * - request: `{ "id": 7, "event": "chat", "value": <json> }` or `{ "id": 7, "event": "x", "bytes": "AAE=" }`
 * - reply:   `{ "id": 7, "value": <json> }`, `{ "id": 7, "bytes": "..." }` or
 *            `{ "id": 7, "error": { "code": "WS_ROOMS_NO_HANDLER", "message": "...", "status": 404 } }`
 * Ids are positive safe integers chosen by the sender, unique among its requests in flight.
 */

/** A request from the server, read from `ws-rooms:req`. */
export interface RequestEnvelope {
  readonly id: number;
  readonly event: string;
  /** JSON as parsed, or bytes (sent as base64 `bytes`) as a `Uint8Array`. */
  readonly value: ClientDecodedValue;
}

/** A request whose id could be read but whose other fields could not: it still deserves an answer. */
export interface InvalidRequestEnvelope {
  readonly id: number;
  readonly invalid: string;
}

/** The error part of a failed reply, as it travels. */
export type ReplyErrorBody = Omit<WsRoomsServerErrorPayload, 'event'>;

/** A reply from the server, read from `ws-rooms:res`. */
export type ReplyEnvelope =
  | { readonly id: number; readonly ok: true; readonly value: ClientDecodedValue }
  | { readonly id: number; readonly ok: false; readonly error: ReplyErrorBody };

type JsonObject = { readonly [key: string]: unknown };

/** The payload of a request, ready for `ClientCodec.encode` (which makes it type-4 JSON). */
export function requestPayload(id: number, event: string, value: unknown): JsonObject {
  return withValue({ id, event }, value);
}

/** The payload of a successful reply. */
export function replyPayload(id: number, value: unknown): JsonObject {
  return withValue({ id }, value);
}

/** The payload of a failed reply. */
export function errorReplyPayload(id: number, error: ReplyErrorBody): JsonObject {
  const body: Record<string, unknown> = { code: error.code, message: error.message };
  if (error.status !== undefined) body.status = error.status;
  if (error.details !== undefined) body.details = error.details;
  return { id, error: body };
}

/**
 * Reads a `ws-rooms:req` payload: a request, an {@link InvalidRequestEnvelope} when only the id is
 * usable, or `undefined` when not even the id is.
 */
export function parseRequestEnvelope(
  payload: ClientDecodedValue,
): RequestEnvelope | InvalidRequestEnvelope | undefined {
  if (!isObject(payload) || !isRequestId(payload.id)) return undefined;
  const { id, event } = payload;
  if (typeof event !== 'string' || event.length === 0) {
    return { id, invalid: 'the request has no event name' };
  }
  const value = valueOf(payload);
  if (value === undefined) return { id, invalid: 'the request bytes are not base64' };
  return { id, event, value };
}

/** Reads a `ws-rooms:res` payload; `undefined` when it is not a well-formed reply. */
export function parseReplyEnvelope(payload: ClientDecodedValue): ReplyEnvelope | undefined {
  if (!isObject(payload) || !isRequestId(payload.id)) return undefined;
  const { id, error } = payload;
  if (error !== undefined) {
    if (!isObject(error) || typeof error.code !== 'string') return undefined;
    return {
      id,
      ok: false,
      error: {
        code: error.code,
        message: typeof error.message === 'string' ? error.message : '',
        status: typeof error.status === 'number' ? error.status : undefined,
        details: error.details,
      },
    };
  }
  const value = valueOf(payload);
  return value === undefined ? undefined : { id, ok: true, value };
}

function withValue(base: Record<string, unknown>, value: unknown): JsonObject {
  const bytes = asBytes(value);
  if (bytes !== undefined) base.bytes = encodeBase64(bytes);
  else base.value = value === undefined ? null : value;
  return base;
}

/** The value of an envelope: bytes from `bytes`, else `value` (absent means `null`). */
function valueOf(envelope: JsonObject): ClientDecodedValue | undefined {
  if (typeof envelope.bytes === 'string') return decodeBase64(envelope.bytes);
  return (envelope.value ?? null) as JsonValue;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isBytes(value);
}

function isRequestId(id: unknown): id is number {
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0;
}

function isBytes(value: unknown): boolean {
  return (
    ArrayBuffer.isView(value) || Object.prototype.toString.call(value) === '[object ArrayBuffer]'
  );
}

function asBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  if (Object.prototype.toString.call(value) === '[object ArrayBuffer]') {
    return new Uint8Array(value as ArrayBuffer);
  }
  return undefined;
}
