import type { BroadcastOperator } from '../interfaces/broadcast-operator.interface';
import type { EmitValue } from '../protocol/message-codec';
import type { RoomIndex } from '../store/room-index';

/** The limits a connection enforces on its own send path. */
export interface ConnectionLimits {
  readonly maxBufferedBytes: number;
  readonly writeBufferSize: number;
}

/**
 * What a connection needs from the endpoint that owns it, over the connection type it serves
 * (`ConnectionHost` in connection.ts binds it to `Connection`, so that this file does not import
 * connection.ts, which imports it). Connections hold this one reference
 * instead of closures, which keeps an idle connection cheap; the socket listeners, shared by every
 * socket, reach the endpoint through it too.
 */
export interface ConnectionHostOf<TConnection> {
  readonly name: string;
  readonly index: RoomIndex;
  readonly limits: ConnectionLimits;
  frameEvent(event: string, value: EmitValue, binary?: boolean): Buffer;
  frameNative(data: string | Uint8Array, binary?: boolean): Buffer;
  request(
    connection: TConnection,
    event: string,
    value: EmitValue,
    timeout?: number,
  ): Promise<unknown>;
  broadcastFrom(senderId: string | undefined): BroadcastOperator;
  join(connection: TConnection, room: string): Promise<void>;
  leave(connection: TConnection, room: string): Promise<void>;
  close(connection: TConnection, code: number, reason: string): void;
  cutSlowConsumer(connection: TConnection, why: string): void;
  scheduleFlush(connection: TConnection): void;
  /**
   * Bytes went to the socket (or to `ws`) outside the corked batch that `scheduleFlush` reports:
   * the heartbeat watches the connection's send buffer until it drains.
   */
  wrote?(connection: TConnection): void;
  /** A data message arrived on the connection's socket. */
  received(connection: TConnection, data: Buffer, isBinary: boolean): void;
  /** A ping arrived; the endpoint counts it against the message rate and answers it. */
  pinged(connection: TConnection, data: Buffer): void;
  /** A pong arrived (solicited or not); the endpoint counts it against the message rate. */
  ponged(connection: TConnection): void;
  /** The socket closed (the close handshake finished, or the peer vanished). */
  socketClosed(connection: TConnection, code: number, reason: Buffer): void;
  /** `ws` failed the connection (protocol error, oversized or invalid message) and sent this code. */
  socketFailed(connection: TConnection, code: number): void;
}
