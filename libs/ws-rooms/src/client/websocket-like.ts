/**
 * The part of the WebSocket API the client uses, typed structurally so that the browser's
 * `WebSocket`, the `ws` package's class and a test double all fit without the client importing any
 * of them (importing `ws` would drag Node modules into the browser bundle).
 */

/** `readyState` values of the WebSocket API. */
export const ReadyState = {
  Connecting: 0,
  Open: 1,
  Closing: 2,
  Closed: 3,
} as const;

/** The data the client hands to `send`: text frames for strings, binary frames for bytes. */
export type SocketData = string | Uint8Array;

/** The fields of a `close` event the client reads. */
export interface CloseEventLike {
  readonly code?: number;
  readonly reason?: string;
  readonly wasClean?: boolean;
}

/** The field of a `message` event the client reads. */
export interface MessageEventLike {
  readonly data: unknown;
}

/**
 * An `on*` handler slot. The parameter is `never` on purpose: implementations declare their own
 * event classes there, and `never` is the one parameter type every one of them is assignable to. The
 * client assigns handlers that read only {@link CloseEventLike} / {@link MessageEventLike} fields.
 */
export type SocketHandlerSlot = ((event: never) => void) | null;

/** One WebSocket connection, as the browser and `ws` both model it. */
export interface WebSocketLike {
  /** One of {@link ReadyState}. */
  readonly readyState: number;
  /** The client sets `'arraybuffer'` so binary frames arrive as `ArrayBuffer` everywhere. */
  binaryType: string;
  onopen: SocketHandlerSlot;
  onmessage: SocketHandlerSlot;
  onclose: SocketHandlerSlot;
  onerror: SocketHandlerSlot;
  send(data: SocketData): void;
  close(code?: number, reason?: string): void;
}

/**
 * A WebSocket constructor compatible with the browser's: `globalThis.WebSocket`, or
 * `import WebSocket from 'ws'` in Node. For `ws`-only options (headers, an agent), pass a subclass
 * whose constructor supplies them.
 */
export type WebSocketConstructorLike = new (
  url: string,
  protocols?: string | string[],
) => WebSocketLike;

/** The Node `ws` package's handshake hook: `ws` emits it when the server answers with plain HTTP. */
interface UnexpectedResponseSource {
  on(
    event: 'unexpected-response',
    listener: (request: unknown, response: { readonly statusCode?: number }) => void,
  ): unknown;
}

/**
 * Calls `listener` with the HTTP status when the server refuses the handshake, for implementations
 * that can tell (the `ws` package). Browsers cannot: a refused handshake looks like any network
 * failure there (close code 1006 before `open`), so this is a no-op for them.
 *
 * With a listener attached, `ws` leaves the pending request to the caller; the listener therefore
 * has to end the attempt itself (closing a `CONNECTING` `ws` socket aborts the request and emits
 * `close` with 1006).
 */
export function watchHandshakeStatus(
  socket: WebSocketLike,
  listener: (status: number) => void,
): void {
  const candidate = socket as WebSocketLike & Partial<UnexpectedResponseSource>;
  if (typeof candidate.on !== 'function') return;
  candidate.on('unexpected-response', (_request, response) => {
    listener(typeof response?.statusCode === 'number' ? response.statusCode : 0);
  });
}
