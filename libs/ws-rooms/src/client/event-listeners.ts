import { ReservedEvent } from '../protocol/protocol.constants';
import type { ClientCodec, DecodeResult, ParsedEventMessage, ParseResult } from './client-codec';
import { WsRoomsClientError, WsRoomsClientErrorCode } from './client-errors';
import type { NativeMessageData } from './client-types';
import type { ErrorReporter } from './error-reporter';
import { ListenerRegistry, type Unsubscribe } from './listener-registry';
import { unwrapMessage } from './recovery-envelope';
import { ReservedEventRouter } from './reserved-event-router';

/**
 * The listeners of what the server sends, and the dispatch to them: an event to its handlers then to
 * the `onAny` listeners, a native message to the `onMessage` listeners, a reserved `ws-rooms:*`
 * event to the hook a feature registered with {@link reserved}, a malformed message to `onError`.
 * The recovery wrapper `ws-rooms:m` is cut here, at byte level, before what it wraps is decoded.
 */
export class EventListeners {
  /** The `onAny` listeners. */
  readonly any = new ListenerRegistry<[string, unknown]>();
  /** The `onMessage` listeners. */
  readonly native = new ListenerRegistry<[NativeMessageData]>();
  /** The hooks of the reserved events. */
  readonly reserved = new ReservedEventRouter();
  private readonly handlers = new Map<string, ListenerRegistry<[unknown]>>();

  constructor(
    private readonly codec: ClientCodec,
    private readonly errors: ErrorReporter,
    /** Whether a wrapped broadcast of this offset is new (recovery's exactly-once filter). */
    private readonly acceptOffset: (offset: number) => boolean,
  ) {}

  /** Adds a handler of `event` (a name the caller checked). */
  on(event: string, handler: (value: unknown) => void): Unsubscribe {
    let handlers = this.handlers.get(event);
    if (handlers === undefined) {
      handlers = new ListenerRegistry<[unknown]>();
      this.handlers.set(event, handlers);
    }
    return handlers.add(handler);
  }

  /** Removes `handler` from `event`, or every handler of `event`. */
  off(event: string, handler?: (value: unknown) => void): void {
    const handlers = this.handlers.get(event);
    if (handlers === undefined) return;
    if (handler === undefined) handlers.clear();
    else handlers.remove(handler);
    if (handlers.size === 0) this.handlers.delete(event);
  }

  /** A message of the server, parsed: unwrapped if it is a numbered broadcast, then dispatched. */
  receive(parsed: ParseResult): void {
    if (parsed.kind === 'event' && parsed.event === ReservedEvent.Message) {
      this.receiveWrapped(parsed);
      return;
    }
    this.dispatch(parsed.kind === 'event' ? this.codec.convert(parsed) : parsed);
  }

  /**
   * A room broadcast wrapped for recovery: cut at byte level, delivered once per offset, then
   * dispatched as the message it wraps (a wrapped `ws-rooms:m` inside has no hook and is dropped).
   */
  private receiveWrapped(parsed: ParsedEventMessage): void {
    const wrapped = unwrapMessage(parsed.payload);
    if (wrapped === undefined) {
      this.errors.report(
        new WsRoomsClientError(
          WsRoomsClientErrorCode.MalformedMessage,
          `"${ReservedEvent.Message}" payload is not <offset>;<message>`,
          { event: ReservedEvent.Message },
        ),
      );
      return;
    }
    if (!this.acceptOffset(wrapped.offset)) return;
    this.dispatch(this.codec.decode(wrapped.message));
  }

  private dispatch(message: DecodeResult): void {
    const onThrow = this.errors.listenerFailed;
    switch (message.kind) {
      case 'native':
        this.native.emit(onThrow, message.data);
        return;
      case 'malformed':
        this.errors.report(message.error);
        return;
      case 'event':
        if (ReservedEventRouter.isReserved(message.event)) {
          this.reserved.route(message.event, message.value);
          return;
        }
        this.handlers.get(message.event)?.emit(onThrow, message.value);
        this.any.emit(onThrow, message.event, message.value);
        return;
    }
  }
}
