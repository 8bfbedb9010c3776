import type {
  BroadcastOperator,
  BroadcastRequestResult,
} from '../../interfaces/broadcast-operator.interface';
import { All, NotMe, type Target } from '../../interfaces/targets';
import type { EmitValue } from '../../protocol/message-codec';

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
  requestAll(
    rooms: readonly string[] | null,
    except: readonly string[],
    event: string,
    value: EmitValue,
    timeout: number | undefined,
  ): Promise<BroadcastRequestResult<unknown>>;
}

/** Per-send flags of a broadcast. */
interface BroadcastFlags {
  readonly volatile: boolean;
  readonly binary: boolean;
}

const NO_FLAGS: BroadcastFlags = { volatile: false, binary: false };

/** Immutable builder behind `to()`; `rooms === null` means every connection. */
export class RoomBroadcastOperator implements BroadcastOperator {
  constructor(
    private readonly sink: BroadcastSink,
    private readonly senderId: string | undefined,
    private readonly rooms: readonly string[] | null = [],
    private readonly excepts: readonly string[] = [],
    private readonly flags: BroadcastFlags = NO_FLAGS,
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
    return this.withFlags({ ...this.flags, volatile: true });
  }

  get binary(): BroadcastOperator {
    return this.withFlags({ ...this.flags, binary: true });
  }

  emit(event: string, value?: EmitValue): void {
    const message = this.sink.encodeEvent(event, value);
    this.send(message, this.sink.isBinaryFrame(message, true));
  }

  emitMessage(data: string | Uint8Array): void {
    const message = this.sink.encodeNative(data);
    this.send(message, this.sink.isBinaryFrame(message, false));
  }

  request<TReply = unknown>(
    event: string,
    value?: EmitValue,
    options?: { readonly timeout?: number },
  ): Promise<BroadcastRequestResult<TReply>> {
    if (this.rooms !== null && this.rooms.length === 0) {
      return Promise.resolve({
        replies: new Map(),
        errors: new Map(),
        missing: [],
        partial: false,
      });
    }
    return this.sink.requestAll(
      this.rooms,
      this.excepts,
      event,
      value,
      options?.timeout,
    ) as Promise<BroadcastRequestResult<TReply>>;
  }

  private send(message: Buffer, binary: boolean): void {
    // No target at all is nobody, as an unknown room is nobody (the original's "everyone" was a bug).
    if (this.rooms !== null && this.rooms.length === 0) return;
    this.sink.broadcast(
      message,
      binary || this.flags.binary,
      this.rooms,
      this.excepts,
      this.flags.volatile,
    );
  }

  private with(rooms: readonly string[] | null, excepts: readonly string[]): BroadcastOperator {
    return new RoomBroadcastOperator(this.sink, this.senderId, rooms, excepts, this.flags);
  }

  private withFlags(flags: BroadcastFlags): BroadcastOperator {
    return new RoomBroadcastOperator(this.sink, this.senderId, this.rooms, this.excepts, flags);
  }
}
