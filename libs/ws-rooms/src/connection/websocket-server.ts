import WebSocket, { WebSocketServer } from 'ws';
import type { ResolvedWsRoomsOptions } from '../options/ws-rooms-options.interface';
import { FlushingWebSocket } from './socket-binding';

/** The `ws` server of one endpoint: upgrades only (no HTTP server, no client tracking). */
export function createWebSocketServer(options: ResolvedWsRoomsOptions): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    clientTracking: false,
    WebSocket: FlushingWebSocket,
    // Pings are counted against the message rate and answered by the dispatcher.
    autoPong: false,
    // No context takeover: a compressed connection then costs no zlib window between messages.
    perMessageDeflate: options.perMessageDeflate
      ? { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: 256 }
      : false,
    maxPayload: options.maxMessageSize,
    closeTimeout: options.closeTimeout,
    // Bound the receiver's memory for fragmented messages in line with the message size limit.
    maxFragments: Math.max(16, Math.ceil(options.maxMessageSize / 64)),
  } as WebSocket.ServerOptions);
}
