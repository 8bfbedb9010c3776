import { WsRoomsErrorCode } from '../errors/error-codes';

/**
 * Stable codes of the errors the client raises or reports. The protocol codes are the server's own
 * (a malformed message is malformed the same way at both ends); the `WS_ROOMS_CLIENT_*` codes are
 * the client's. Treat every value as public API.
 */
export const WsRoomsClientErrorCode = {
  /** A server message starts with the prefix but its head is cut short (no `;`, no type digit). */
  MalformedMessage: WsRoomsErrorCode.MalformedMessage,
  /** A server message has a type digit other than `0`..`4`. */
  UnknownPayloadType: WsRoomsErrorCode.UnknownPayloadType,
  /** A payload does not parse for its type digit, or a value cannot be encoded as JSON. */
  InvalidPayload: WsRoomsErrorCode.InvalidPayload,
  /** A JSON payload nested deeper than the codec's `maxJsonDepth`. */
  JsonTooDeep: WsRoomsErrorCode.JsonTooDeep,
  /** A JSON payload over the codec's `maxJsonValues`, or with a string over `maxJsonStringLength`. */
  JsonTooLarge: WsRoomsErrorCode.JsonTooLarge,
  /** An event name that is empty, contains `;`, or is reserved (`ws-rooms:`) for the library. */
  InvalidEventName: WsRoomsErrorCode.InvalidEventName,
  /** `emit` while not open with a full send buffer and the `'reject'` policy. */
  BufferFull: 'WS_ROOMS_CLIENT_BUFFER_FULL',
  /** A buffered message was discarded to make room (`'drop-oldest'` policy); reported, not thrown. */
  MessageDropped: 'WS_ROOMS_CLIENT_MESSAGE_DROPPED',
  /** There is no WebSocket implementation: none was passed and `globalThis.WebSocket` is absent. */
  NoWebSocket: 'WS_ROOMS_CLIENT_NO_WEBSOCKET',
  /** A client option is invalid (raised once, by the constructor). */
  InvalidOption: 'WS_ROOMS_CLIENT_INVALID_OPTION',
  /** A method argument is invalid (e.g. a close code the WebSocket API does not allow). */
  InvalidArgument: 'WS_ROOMS_CLIENT_INVALID_ARGUMENT',
  /** The connection could not be made and no retry follows (e.g. the URL is invalid). */
  ConnectFailed: 'WS_ROOMS_CLIENT_CONNECT_FAILED',
  /** The server answered the handshake with an HTTP status that retrying cannot change (4xx). */
  HandshakeRefused: 'WS_ROOMS_CLIENT_HANDSHAKE_REFUSED',
  /** `maxFailedAttempts` consecutive attempts ended before the socket opened; retrying stopped. */
  ReconnectGaveUp: 'WS_ROOMS_CLIENT_RECONNECT_GAVE_UP',
  /** A listener registered by the application threw; the error is the `cause`. */
  HandlerError: 'WS_ROOMS_CLIENT_HANDLER_ERROR',
  /** A message arrived as something other than text or bytes (e.g. a `Blob`). */
  UnsupportedData: 'WS_ROOMS_CLIENT_UNSUPPORTED_DATA',
  /** `request()` got no reply within its timeout (the `timeout` call option or `requestTimeout`). */
  RequestTimeout: 'WS_ROOMS_CLIENT_REQUEST_TIMEOUT',
  /**
   * `request()` cannot complete: the connection that carried it closed before the reply (the server
   * may or may not have run its handler, so it is not sent again), or the client was closed or gave
   * up reconnecting while the request waited to be sent.
   */
  RequestAborted: 'WS_ROOMS_CLIENT_REQUEST_ABORTED',
  /** `request()` while the client is `'closed'` (before `connect()`, after `close()` or giving up). */
  NotConnected: 'WS_ROOMS_CLIENT_NOT_CONNECTED',
  /**
   * The client asked for recovery, but the server opened the connection without a session (its
   * `recovery` option is off, or it is not a ws-rooms server): the connection works, without an `id`
   * and without recovery. Reported once per connection; see the `sessionTimeout` option.
   */
  NoSession: 'WS_ROOMS_CLIENT_NO_SESSION',
  /**
   * The client asked for its id (the `identity` option), but the server opened the connection
   * without telling it (`ws-rooms:identity`; a server before 0.2, or not a ws-rooms server): the
   * connection works, without an `id`. Reported once per connection; see the `sessionTimeout` option.
   */
  NoIdentity: 'WS_ROOMS_CLIENT_NO_IDENTITY',
} as const;

/** One of the values of {@link WsRoomsClientErrorCode}. */
export type WsRoomsClientErrorCode =
  (typeof WsRoomsClientErrorCode)[keyof typeof WsRoomsClientErrorCode];

/** Extra facts attached to a {@link WsRoomsClientError}. */
export interface WsRoomsClientErrorDetails {
  /** The underlying error (a listener's exception, a constructor's `SyntaxError`). */
  readonly cause?: unknown;
  /** The event the error is about, when there is one. */
  readonly event?: string;
  /** The HTTP status of a refused handshake, when the WebSocket implementation exposes it. */
  readonly status?: number;
}

/**
 * The error type of the client, raised synchronously for programming mistakes (bad options, bad
 * event names, a full send buffer under `'reject'`) and reported through `onError` for everything
 * that happens on the wire, where throwing would cross an event boundary.
 */
export class WsRoomsClientError extends Error {
  override readonly name = 'WsRoomsClientError';
  /** The event the error is about, when there is one. */
  readonly event?: string;
  /** The HTTP status of a refused handshake, when known. */
  readonly status?: number;

  constructor(
    /** Stable code, see {@link WsRoomsClientErrorCode}. */
    readonly code: WsRoomsClientErrorCode,
    message: string,
    details: WsRoomsClientErrorDetails = {},
  ) {
    super(message);
    // Set by hand: older browsers (the bundle targets ES2019) ignore the `cause` constructor option.
    if (details.cause !== undefined) this.cause = details.cause;
    if (details.event !== undefined) this.event = details.event;
    if (details.status !== undefined) this.status = details.status;
  }
}

/**
 * The JSON payload of the reserved `ws-rooms:error` event, and the `error` of a failed `ws-rooms:res`
 * reply (docs/protocol.md, "Reserved events").
 */
export interface WsRoomsServerErrorPayload {
  readonly code: string;
  readonly message: string;
  readonly event?: string;
  readonly status?: number;
  readonly details?: unknown;
}

/**
 * An error the server reported about a message this client sent (a payload that did not decode, a
 * handler that threw, a guard that refused). Delivered through `onServerError` (the connection stays
 * open), or as the rejection of `request()` when the server answered with an error reply (e.g.
 * `WS_ROOMS_NO_HANDLER`, status 404). `code` is one of the server's `WS_ROOMS_*` codes (a newer
 * server may send codes this client does not know, hence `string`).
 */
export class WsRoomsServerError extends Error {
  override readonly name = 'WsRoomsServerError';
  /** The server's stable error code, e.g. `WS_ROOMS_FORBIDDEN`. */
  readonly code: string;
  /** The event of the message that failed, when the server could read it. */
  readonly event?: string;
  /** An HTTP-like status the server attached (e.g. from an `HttpException`). */
  readonly status?: number;
  /** Extra data the server attached (e.g. the messages of a validation pipe). */
  readonly details?: unknown;

  constructor(payload: WsRoomsServerErrorPayload) {
    super(payload.message);
    this.code = payload.code;
    if (payload.event !== undefined) this.event = payload.event;
    if (payload.status !== undefined) this.status = payload.status;
    if (payload.details !== undefined) this.details = payload.details;
  }

  /**
   * Reads a decoded `ws-rooms:error` payload. Returns `undefined` for a value of the wrong shape, so
   * that a confused server cannot make the client throw.
   */
  static fromWire(value: unknown): WsRoomsServerError | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const record = value as Record<string, unknown>;
    if (typeof record.code !== 'string' || typeof record.message !== 'string') return undefined;
    return new WsRoomsServerError({
      code: record.code,
      message: record.message,
      event: typeof record.event === 'string' ? record.event : undefined,
      status: typeof record.status === 'number' ? record.status : undefined,
      details: record.details,
    });
  }
}
