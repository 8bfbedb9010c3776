import type { BroadcastOperator } from '../interfaces/broadcast-operator.interface';
import type { EmitValue } from '../protocol/message-codec';
import type { RoomIndex } from '../store/room-index';
import type { Connection } from './connection';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a host serves connections of any data type
type AnyConnection = Connection<any>;

/** The limits a connection enforces on its own send path. */
export interface ConnectionLimits {
  readonly maxBufferedBytes: number;
  readonly writeBufferSize: number;
}

/**
 * What a connection needs from the server that owns it. Connections hold this one reference instead
 * of closures, which keeps an idle connection cheap.
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
}
