import type { WsRoomsErrorCode } from './error-codes';

/**
 * The one error type ws-rooms raises. `code` is stable and machine-readable; `closeCode` is set
 * when the error ends the connection (the websocket close code that was, or will be, sent).
 */
export class WsRoomsError extends Error {
  override readonly name = 'WsRoomsError';

  constructor(
    /** Stable code, see {@link WsRoomsErrorCode}. */
    readonly code: WsRoomsErrorCode,
    message: string,
    /** The close code sent to the peer when this error closes the connection. */
    readonly closeCode?: number,
  ) {
    super(message);
  }
}
