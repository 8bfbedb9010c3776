/**
 * The lifecycle of a `WsRoomsClient`:
 * - `'connecting'`: the first attempt (after construction or `connect()`) is under way;
 * - `'open'`: the socket is open; `emit` writes at once;
 * - `'reconnecting'`: the connection was lost; the client waits out the backoff delay or is trying
 *   again;
 * - `'closed'`: no socket and no retry pending (before `connect()`, after `close()`, or after the
 *   client gave up).
 */
export type ClientState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** What `onDisconnect` listeners learn about a lost connection. */
export interface DisconnectInfo {
  /** The close code; 1006 when the connection dropped without a close frame. */
  readonly code: number;
  /** The close reason text (often empty). */
  readonly reason: string;
  /** Whether the closing handshake completed (true for a deliberate `close()`). */
  readonly wasClean: boolean;
  /** Whether the client is going to reconnect by itself. */
  readonly willReconnect: boolean;
}

/** A native message from the server: text for a text frame, bytes for a binary frame. */
export type NativeMessageData = string | Uint8Array;

/** Per-call options of `WsRoomsClient.request`. */
export interface RequestOptions {
  /** How long to wait for the reply, in ms, from the call. @default the `requestTimeout` option */
  readonly timeout?: number;
}
