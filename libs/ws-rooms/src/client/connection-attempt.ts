import { WsRoomsClientError, WsRoomsClientErrorCode } from './client-errors';
import {
  watchHandshakeStatus,
  type CloseEventLike,
  type MessageEventLike,
  type WebSocketLike,
} from './websocket-like';

/** One connection attempt of the client: its socket and what was learnt about it. */
export interface Attempt {
  readonly socket: WebSocketLike;
  /** The socket reached `open`. */
  opened: boolean;
  /**
   * The connection is ready (the client is `'open'`): its socket opened and, with recovery, the
   * server's session arrived. `onConnect` listeners heard of it, so `onDisconnect` listeners must
   * hear of its end.
   */
  announced: boolean;
  /** The HTTP status of a refused handshake, when the implementation tells it (Node's `ws`). */
  handshakeStatus?: number;
}

/** What the client does with the events of an attempt's socket. */
export interface AttemptHandlers {
  open(): void;
  message(data: unknown): void;
  close(event: CloseEventLike): void;
}

/** The close code of a deliberate, normal close. */
export const NORMAL_CLOSURE = 1000;
const MAX_CLOSE_REASON_BYTES = 123;

/** Starts following a socket that was just created: the client's side of one attempt. */
export function startAttempt(socket: WebSocketLike, handlers: AttemptHandlers): Attempt {
  const attempt: Attempt = { socket, opened: false, announced: false };
  // The error listener goes on before anything else: with `ws`, an 'error' without a listener
  // would crash the process. Details come with the close event that always follows.
  socket.onerror = ignore;
  socket.binaryType = 'arraybuffer';
  socket.onopen = () => handlers.open();
  socket.onmessage = (event: MessageEventLike) => handlers.message(event.data);
  socket.onclose = (event: CloseEventLike) => handlers.close(event);
  watchHandshakeStatus(socket, (status) => {
    attempt.handshakeStatus = status;
    closeQuietly(socket);
  });
  return attempt;
}

/** Stops a socket from reaching the client; the error slot keeps a no-op (see `startAttempt`). */
export function detach(socket: WebSocketLike): void {
  socket.onopen = null;
  socket.onmessage = null;
  socket.onclose = null;
  socket.onerror = ignore;
}

/** Closes a socket that the client no longer follows; a socket that refuses is already gone. */
export function closeQuietly(socket: WebSocketLike, code?: number, reason?: string): void {
  try {
    if (code === undefined) socket.close();
    else socket.close(code, reason);
  } catch {
    // Some implementations throw on close() in odd states; the socket is abandoned either way.
  }
}

/**
 * Checks the arguments of a deliberate close as the WebSocket API would, before anything changes.
 * @throws WsRoomsClientError `WS_ROOMS_CLIENT_INVALID_ARGUMENT` for a code other than 1000 or
 *   3000-4999, or a reason over 123 bytes of UTF-8.
 */
export function assertCloseArguments(code: number, reason: string): void {
  if (!(code === NORMAL_CLOSURE || (Number.isInteger(code) && code >= 3000 && code <= 4999))) {
    throw new WsRoomsClientError(
      WsRoomsClientErrorCode.InvalidArgument,
      `Invalid close code ${String(code)}: use 1000 or 3000-4999`,
    );
  }
  if (new TextEncoder().encode(reason).length > MAX_CLOSE_REASON_BYTES) {
    throw new WsRoomsClientError(
      WsRoomsClientErrorCode.InvalidArgument,
      `Invalid close reason: longer than ${MAX_CLOSE_REASON_BYTES} bytes of UTF-8`,
    );
  }
}

function ignore(): void {
  // Errors are reported through the close event that follows them.
}
