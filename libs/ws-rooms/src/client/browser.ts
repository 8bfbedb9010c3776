import { ClientCodec } from './client-codec';
import { WsRoomsClientError, WsRoomsClientErrorCode, WsRoomsServerError } from './client-errors';
import { DEFAULT_CLIENT_OPTIONS, DEFAULT_RECONNECT_OPTIONS } from './client-options';
import { Ws } from './compat-ws';
import { defaultShouldReconnect } from './reconnect-policy';
import { WsRoomsClient } from './ws-rooms-client';

/**
 * The `window.WsRooms` namespace of the served script: the modern client and its helpers, for
 * pages that load `/iris-ws.js` with a plain `<script>` tag. Requests (`request`, `onRequest`),
 * presence (`onPresence`, `presence`) and recovery (the `recovery` option, `onRecovery`, `id`) are
 * methods of `WsRoomsClient`; their errors are `WsRoomsClientError` / `WsRoomsServerError`.
 */
export const WsRooms = Object.freeze({
  WsRoomsClient,
  ClientCodec,
  WsRoomsClientError,
  WsRoomsClientErrorCode,
  WsRoomsServerError,
  DEFAULT_CLIENT_OPTIONS,
  DEFAULT_RECONNECT_OPTIONS,
  defaultShouldReconnect,
});

declare global {
  interface Window {
    /** The Iris-compatible client (docs/protocol.md, "Iris compatibility rules"), defined by `/iris-ws.js`. */
    Ws: typeof Ws;
    /** The modern ws-rooms client and helpers, defined by `/iris-ws.js`. */
    WsRooms: typeof WsRooms;
  }
}

// `window` in a page; the global object elsewhere (a worker, a test's `node:vm` context).
const target = (typeof window !== 'undefined' ? window : globalThis) as unknown as Window;
target.Ws = Ws;
target.WsRooms = WsRooms;
