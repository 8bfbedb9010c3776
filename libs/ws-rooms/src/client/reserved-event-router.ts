import { RESERVED_EVENT_PREFIX } from '../protocol/protocol.constants';
import { assertEventName, type ClientDecodedValue } from './client-codec';
import { WsRoomsClientError, WsRoomsClientErrorCode } from './client-errors';

/** An internal hook for one reserved event. */
export type ReservedEventHook = (value: ClientDecodedValue) => void;

/**
 * Routes the reserved `ws-rooms:*` events to the client's internal hooks, never to application
 * handlers: they are the library's own channel (`ws-rooms:error`, the `ws-rooms:req` / `ws-rooms:res`
 * of requests, `ws-rooms:presence`, `ws-rooms:session`). Each feature plugs in by registering its
 * hook here, without touching the message path (the recovery wrapper `ws-rooms:m` is the exception:
 * it must be cut before its payload is decoded, so the client handles it first). A reserved event
 * with no hook is dropped on purpose, so a newer server's extensions cannot confuse an older client.
 */
export class ReservedEventRouter {
  private readonly hooks = new Map<string, ReservedEventHook>();

  /** True for names in the reserved `ws-rooms:` space. */
  static isReserved(event: string): boolean {
    return event.startsWith(RESERVED_EVENT_PREFIX);
  }

  /** Installs the hook of one reserved event, replacing any earlier one. */
  register(event: string, hook: ReservedEventHook): void {
    this.hooks.set(event, hook);
  }

  /** Hands a reserved event to its hook; returns whether a hook took it. */
  route(event: string, value: ClientDecodedValue): boolean {
    const hook = this.hooks.get(event);
    if (hook === undefined) return false;
    hook(value);
    return true;
  }
}

/**
 * Checks an event name an application listens to, emits or answers: a valid name outside the
 * reserved space.
 * @throws WsRoomsClientError `WS_ROOMS_INVALID_EVENT_NAME`
 */
export function assertUserEventName(event: unknown): asserts event is string {
  assertEventName(event);
  if (ReservedEventRouter.isReserved(event)) {
    throw new WsRoomsClientError(
      WsRoomsClientErrorCode.InvalidEventName,
      `Invalid event name "${event}": names starting with "${RESERVED_EVENT_PREFIX}" are reserved by ws-rooms`,
      { event },
    );
  }
}
