import { isUtf8 } from 'node:buffer';
import type { Connection } from '../../connection/connection';
import { frameMessage } from '../../protocol/frame';
import type { EmitValue, MessageCodec } from '../../protocol/message-codec';
import type { OutboundBroadcast, RoomStore } from '../../store/room-store.interface';
import type { DeliveryHook } from '../extensions/server-extension';
import type { WsRoomsStats } from '../server-stats';
import { WriteBatcher } from './write-batcher';
import type { Recipients } from './recipients';

/**
 * Everything that leaves this node: encoding and framing (once per message, whatever the number of
 * recipients), direct sends, broadcasts to local recipients and their hand-off to the store, and
 * the per-turn write batching.
 */
export class Delivery {
  private readonly batcher = new WriteBatcher();
  /** Set once by the recovery extension, when the endpoint has one. */
  hook: DeliveryHook | null = null;

  constructor(
    private readonly codec: MessageCodec,
    private readonly recipients: Recipients,
    private readonly store: RoomStore,
    private readonly stats: WsRoomsStats,
    private readonly binaryMessages: boolean,
  ) {}

  encodeEvent(event: string, value: EmitValue): Buffer {
    return this.codec.encodeEvent(event, value);
  }

  encodeNative(data: string | Uint8Array): Buffer {
    if (typeof data === 'string') return Buffer.from(data, 'utf8');
    if (data instanceof Uint8Array)
      return Buffer.isBuffer(data)
        ? data
        : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    throw new TypeError('emitMessage(): data must be a string or a Uint8Array');
  }

  /**
   * Text frames unless `binaryMessages` is on; bytes that are not UTF-8 always go binary, since a
   * text frame carrying them would make any client fail the connection (1007).
   */
  isBinaryFrame(message: Buffer): boolean {
    return this.binaryMessages || !isUtf8(message);
  }

  // frameEvent and frameNative frame the message of one direct send (emit, reply, request): it is
  // counted out here; broadcasts are counted in deliverLocally.
  frameEvent(event: string, value: EmitValue, binary = false): Buffer {
    const message = this.codec.encodeEvent(event, value);
    return this.countDirect(frameMessage(message, binary || this.isBinaryFrame(message)));
  }

  frameNative(data: string | Uint8Array, binary = false): Buffer {
    const message = this.encodeNative(data);
    return this.countDirect(frameMessage(message, binary || this.isBinaryFrame(message)));
  }

  /** Delivers a broadcast locally, then lets the store forward it to other nodes. */
  broadcast(
    message: Buffer,
    binary: boolean,
    rooms: readonly string[] | null,
    except: readonly string[],
    isVolatile: boolean,
  ): void {
    const broadcast: OutboundBroadcast = { message, binary, rooms, except, volatile: isVolatile };
    if (!isVolatile && this.hook?.publishing(broadcast) === true) return;
    this.deliverLocally(broadcast);
    this.store.publish(broadcast);
  }

  /** Frames once and sends the same bytes to every local recipient, each once. */
  deliverLocally(broadcast: OutboundBroadcast, offset?: number): void {
    const frame = frameMessage(broadcast.message, broadcast.binary);
    const isVolatile = broadcast.volatile;
    const special = this.hook?.delivering(broadcast, frame, offset);
    const stats = this.stats;
    const queuedBefore = stats.messagesOut;
    this.recipients.forEach(broadcast.rooms, broadcast.except, (connection) => {
      if (special !== undefined) {
        const queued = special(connection);
        if (queued !== undefined) {
          if (queued) stats.messagesOut++;
          return;
        }
      }
      if (connection.sendFrame(frame, isVolatile)) stats.messagesOut++;
      else if (isVolatile) stats.volatileDrops++;
    });
    // Once per broadcast, not per recipient (recovery-wrapped copies are a few bytes longer).
    stats.bytesOut += (stats.messagesOut - queuedBefore) * frame.length;
  }

  /** Adds a connection that corked its socket to this turn's flush. */
  scheduleFlush(connection: Connection): void {
    this.batcher.schedule(connection);
  }

  private countDirect(frame: Buffer): Buffer {
    this.stats.messagesOut++;
    this.stats.bytesOut += frame.length;
    return frame;
  }
}
