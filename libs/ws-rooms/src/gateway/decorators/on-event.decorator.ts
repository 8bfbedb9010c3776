import { WS_ROOMS_EVENT_METADATA } from '../../constants';
import { assertEventName } from '../../protocol/message-codec';

/**
 * Handles an event message (`Emit("chat", ...)` on the client). The payload is decoded by its type
 * digit and converted to the type declared for `@MessageBody()` (string, number, boolean, Buffer;
 * objects and classes as decoded, for pipes to validate). Guards, pipes, interceptors and exception
 * filters apply as on any Nest handler. A returned value is sent back to the sender as the same event
 * (or as `{ event, data }`'s event).
 *
 * `@nestjs/event-emitter` exports an `OnEvent` too: import this one as {@link OnWsEvent} when both
 * are used in one file.
 * @throws WsRoomsError `WS_ROOMS_INVALID_EVENT_NAME` (at class definition) for an empty name, a name
 *   with `;`, or a reserved `ws-rooms:` name.
 */
export function OnEvent(event: string): MethodDecorator {
  assertEventName(event, true);
  return (_target, _key, descriptor) => {
    const handler = descriptor.value as object;
    const events =
      (Reflect.getMetadata(WS_ROOMS_EVENT_METADATA, handler) as string[] | undefined) ?? [];
    Reflect.defineMetadata(WS_ROOMS_EVENT_METADATA, [...events, event], handler);
    return descriptor;
  };
}

/** Alias of {@link OnEvent} that does not collide with `@nestjs/event-emitter`'s `OnEvent`. */
export const OnWsEvent = OnEvent;
