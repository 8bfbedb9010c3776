import type { BroadcastOperator } from '../interfaces/broadcast-operator.interface';
import { All, NotMe, type Target } from '../interfaces/targets';
import type { EmitValue } from '../protocol/message-codec';

/** The part of the server a broadcast needs. */
export interface BroadcastSink {
  broadcast(
    message: Buffer,
    binary: boolean,
    rooms: readonly string[] | null,
    except: readonly string[],
    isVolatile: boolean,
  ): void;
  encodeEvent(event: string, value: EmitValue): Buffer;
  encodeNative(data: string | Uint8Array): Buffer;
  isBinaryFrame(message: Buffer, isEvent: boolean): boolean;
}

/** Immutable builder behind `to()`; `rooms === null` means every connection. */
export class RoomBroadcastOperator implements BroadcastOperator {
  constructor(
    private readonly sink: BroadcastSink,
    private readonly senderId: string | undefined,
    private readonly rooms: readonly string[] | null = [],
    private readonly excepts: readonly string[] = [],
    private readonly isVolatile = false,
  ) {}

  to(target: Target): BroadcastOperator {
    if (target === All) return this.with(null, this.excepts);
    if (target === NotMe) {
      const except = this.senderId === undefined ? this.excepts : [...this.excepts, this.senderId];
      return this.with(null, except);
    }
    if (typeof target !== 'string') throw new TypeError('to(): target must be a string');
    if (this.rooms === null || this.rooms.includes(target)) return this;
    return this.with([...this.rooms, target], this.excepts);
  }

  in(target: Target): BroadcastOperator {
    return this.to(target);
  }

  except(roomOrId: string): BroadcastOperator {
    return this.with(this.rooms, [...this.excepts, roomOrId]);
  }

  get volatile(): BroadcastOperator {
    return new RoomBroadcastOperator(this.sink, this.senderId, this.rooms, this.excepts, true);
  }

  emit(event: string, value?: EmitValue): void {
    const message = this.sink.encodeEvent(event, value);
    this.send(message, this.sink.isBinaryFrame(message, true));
  }

  emitMessage(data: string | Uint8Array): void {
    const message = this.sink.encodeNative(data);
    this.send(message, this.sink.isBinaryFrame(message, false));
  }

  private send(message: Buffer, binary: boolean): void {
    // No target at all is nobody, as an unknown room is nobody (the original's "everyone" was a bug).
    if (this.rooms !== null && this.rooms.length === 0) return;
    this.sink.broadcast(message, binary, this.rooms, this.excepts, this.isVolatile);
  }

  private with(rooms: readonly string[] | null, excepts: readonly string[]): BroadcastOperator {
    return new RoomBroadcastOperator(this.sink, this.senderId, rooms, excepts, this.isVolatile);
  }
}
