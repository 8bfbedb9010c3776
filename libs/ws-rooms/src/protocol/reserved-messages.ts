import type { DecodeLimits, DecodedValue, EmitValue, JsonValue } from './message-codec';

/**
 * Payloads of the reserved events that carry requests and replies (`ws-rooms:req`, `ws-rooms:res`).
 * Both travel as type-4 JSON, so the original Iris client, which ignores events it has no handler
 * for, never notices them. Bytes ride as base64 under `bytes` instead of `value`.
 *
 * - request: `{ "id": 7, "event": "chat", "value": <json> }` or `{ "id": 7, "event": "x", "bytes": "AAE=" }`
 * - reply:   `{ "id": 7, "value": <json> }`, `{ "id": 7, "bytes": "..." }` or
 *            `{ "id": 7, "error": { "code": "WS_ROOMS_NO_HANDLER", "message": "...", "status": 404 } }`
 * Ids are positive safe integers chosen by the sender, unique among its requests in flight.
 */
export interface RequestEnvelope {
  readonly id: number;
  readonly event: string;
  readonly value: DecodedValue;
}

/** The error part of a failed reply. */
export interface ReplyError {
  readonly code: string;
  readonly message: string;
  readonly status?: number;
  readonly details?: unknown;
}

/** A decoded reply. */
export type ReplyEnvelope =
  | { readonly id: number; readonly ok: true; readonly value: DecodedValue }
  | { readonly id: number; readonly ok: false; readonly error: ReplyError };

type JsonObject = { readonly [key: string]: unknown };

function isObject(value: unknown): value is JsonObject {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value)
  );
}

function isRequestId(id: unknown): id is number {
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0;
}

function valueOf(envelope: JsonObject): DecodedValue {
  if (typeof envelope.bytes === 'string') return Buffer.from(envelope.bytes, 'base64');
  return (envelope.value ?? null) as JsonValue;
}

/**
 * The limits an event name inside an envelope must meet: the same as the name in a message's head,
 * so that a request cannot carry a name the codec would have refused.
 */
export type EventNameLimits = Pick<DecodeLimits, 'maxEventNameLength'>;

/**
 * True for a name the codec would read from a message's head: a non-empty string without `;`, of
 * at most `maxEventNameLength` UTF-8 bytes.
 */
function isAcceptableEventName(name: unknown, maxBytes: number): name is string {
  if (typeof name !== 'string' || name.length === 0 || name.includes(';')) return false;
  // A UTF-16 code unit takes one to three UTF-8 bytes: measure only when the count is in doubt.
  if (name.length > maxBytes) return false;
  return name.length * 3 <= maxBytes || Buffer.byteLength(name, 'utf8') <= maxBytes;
}

/**
 * Reads a `ws-rooms:req` payload; null when it is not a well-formed request: no positive safe
 * integer `id`, or an `event` that is not a string, is empty, contains `;` or is longer than
 * `limits.maxEventNameLength` UTF-8 bytes (absent: unbounded).
 */
export function parseRequest(
  payload: DecodedValue,
  limits: EventNameLimits = {},
): RequestEnvelope | null {
  if (!isObject(payload) || !isRequestId(payload.id)) return null;
  const maxBytes = limits.maxEventNameLength ?? Number.POSITIVE_INFINITY;
  if (!isAcceptableEventName(payload.event, maxBytes)) return null;
  return { id: payload.id, event: payload.event, value: valueOf(payload) };
}

/** Reads a `ws-rooms:res` payload; null when it is not a well-formed reply. */
export function parseReply(payload: DecodedValue): ReplyEnvelope | null {
  if (!isObject(payload) || !isRequestId(payload.id)) return null;
  if (payload.error !== undefined) {
    const error = payload.error;
    if (!isObject(error) || typeof error.code !== 'string') return null;
    return {
      id: payload.id,
      ok: false,
      error: {
        code: error.code,
        message: typeof error.message === 'string' ? error.message : '',
        status: typeof error.status === 'number' ? error.status : undefined,
        details: error.details,
      },
    };
  }
  return { id: payload.id, ok: true, value: valueOf(payload) };
}

function withValue(
  base: Record<string, unknown>,
  value: EmitValue | unknown,
): Record<string, unknown> {
  if (value instanceof Uint8Array)
    base.bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  else base.value = value === undefined ? null : value;
  return base;
}

/** The JSON payload of a request. */
export function requestPayload(
  id: number,
  event: string,
  value: EmitValue,
): Record<string, unknown> {
  return withValue({ id, event }, value);
}

/** The JSON payload of a successful reply. */
export function replyPayload(id: number, value: unknown): Record<string, unknown> {
  return withValue({ id }, value);
}

/** The JSON payload of a failed reply. */
export function errorReplyPayload(id: number, error: ReplyError): Record<string, unknown> {
  const body: Record<string, unknown> = { code: error.code, message: error.message };
  if (error.status !== undefined) body.status = error.status;
  if (error.details !== undefined) body.details = error.details;
  return { id, error: body };
}
