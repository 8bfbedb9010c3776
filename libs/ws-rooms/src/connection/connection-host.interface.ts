import type { BroadcastOperator } from '../interfaces/broadcast-operator.interface';
import type { EmitValue } from '../protocol/message-codec';
import type { RoomIndex } from '../store/room-index';
import type { Connection } from './connection';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a host serves connections of any data type
type AnyConnection = Connection<any, any>;

/** The limits a connection enforces on its own send path. */
export interface ConnectionLimits {
  readonly maxBufferedBytes: number;
  readonly writeBufferSize: number;
}

/**
 * What a connection needs from the endpoint that owns it. Connections hold this one reference
 * instead of closures, which keeps an idle connection cheap; the socket listeners, shared by every
 * socket, reach the endpoint through it too.
 */
export interface ConnectionHost {
  readonly name: string;
  readonly index: RoomIndex;
  readonly limits: ConnectionLimits;
  frameEvent(event: string, value: EmitValue, binary?: boolean): Buffer;
  frameNative(data: string | Uint8Array, binary?: boolean): Buffer;
  request(
    connection: AnyConnection,
    event: string,
    value: EmitValue,
    timeout?: number,
  ): Promise<unknown>;
  broadcastFrom(senderId: string | undefined): BroadcastOperator;
  join(connection: AnyConnection, room: string): Promise<void>;
  leave(connection: AnyConnection, room: string): Promise<void>;
  close(connection: AnyConnection, code: number, reason: string): void;
  cutSlowConsumer(connection: AnyConnection, why: string): void;
  scheduleFlush(connection: AnyConnection): void;
  /**
   * Bytes went to the socket (or to `ws`) outside the corked batch that `scheduleFlush` reports:
   * the heartbeat watches the connection's send buffer until it drains.
   */
  wrote?(connection: AnyConnection): void;
  /** A data message arrived on the connection's socket. */
  received(connection: AnyConnection, data: Buffer, isBinary: boolean): void;
  /** A ping arrived; the endpoint counts it against the message rate and answers it. */
  pinged(connection: AnyConnection, data: Buffer): void;
  /** A pong arrived (solicited or not); the endpoint counts it against the message rate. */
  ponged(connection: AnyConnection): void;
  /** The socket closed (the close handshake finished, or the peer vanished). */
  socketClosed(connection: AnyConnection, code: number, reason: Buffer): void;
  /** `ws` failed the connection (protocol error, oversized or invalid message) and sent this code. */
  socketFailed(connection: AnyConnection, code: number): void;
}
