import WebSocket from 'ws';
import { CloseCode } from '../errors/close-codes';
import type { Connection } from './connection';

const kConnection = Symbol('ws-rooms.connection');
type BoundWebSocket = WebSocket & { [kConnection]?: Connection };

/**
 * The `WebSocket` class the endpoint's `WebSocketServer` creates. It differs from `ws`'s in one
 * way: a close sends the frames the connection corked during this turn at once, ahead of the close
 * frame. They already sit in the socket before it, so the order holds without this; what it adds is
 * that a close (`ws` answers a peer's close, or fails a connection on a protocol error, from inside
 * the read that delivered the messages before it) leaves now, with the replies to those messages,
 * rather than at the end of the turn.
 */
export class FlushingWebSocket extends WebSocket {
  override close(code?: number, data?: string | Buffer): void {
    (this as BoundWebSocket)[kConnection]?.flush();
    super.close(code, data);
  }
}

/**
 * Ties a socket to its connection with listeners shared by every socket (`this` is the socket), so
 * that a connection costs no closure; events reach the endpoint through the connection's host.
 */
export function bindSocket(ws: WebSocket, connection: Connection): void {
  (ws as BoundWebSocket)[kConnection] = connection;
  ws.on('message', onSocketMessage);
  ws.on('ping', onSocketPing);
  ws.on('pong', onSocketPong);
  ws.on('close', onSocketClose);
  ws.on('error', onSocketError);
}

function onSocketMessage(this: BoundWebSocket, data: WebSocket.RawData, isBinary: boolean): void {
  const connection = this[kConnection];
  if (connection === undefined || connection.closed) return;
  connection.host.received(connection, toBuffer(data), isBinary);
}

function onSocketPing(this: BoundWebSocket, data: Buffer): void {
  const connection = this[kConnection];
  if (connection !== undefined && !connection.closed) connection.host.pinged(connection, data);
}

function onSocketPong(this: BoundWebSocket): void {
  const connection = this[kConnection];
  if (connection === undefined || connection.closed) return;
  connection.awaitingPong = false;
  connection.host.ponged(connection);
}

function onSocketClose(this: BoundWebSocket, code: number, reason: Buffer): void {
  const connection = this[kConnection];
  if (connection !== undefined) connection.host.socketClosed(connection, code, reason);
}

function onSocketError(this: BoundWebSocket, error: Error & { code?: string }): void {
  // `ws` has already sent the close frame (1002/1007/1008/1009) and stops reading, so its 'close'
  // would report 1006 from the client: end the connection here, with the code that was sent.
  // The listener must exist anyway, so that an error never becomes an uncaught exception.
  const connection = this[kConnection];
  if (connection !== undefined) connection.host.socketFailed(connection, closeCodeOf(error));
}

/** The close code `ws` sends for a receiver error (its own status code is not exported). */
function closeCodeOf(error: { code?: string }): number {
  switch (error.code) {
    case 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH':
    case 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH':
      return CloseCode.MessageTooBig;
    case 'WS_ERR_INVALID_UTF8':
      return CloseCode.InvalidPayload;
    case 'WS_ERR_TOO_MANY_BUFFERED_PARTS':
      return CloseCode.PolicyViolation;
    default:
      return CloseCode.ProtocolError;
  }
}

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
