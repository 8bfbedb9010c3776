import type { Connection } from '../../connection/connection';
import type { DisconnectInfo } from '../../interfaces/ws-connection.interface';
import type { DecodedValue } from '../../protocol/message-codec';

/** An endpoint-level event handler: gateways' `@OnEvent` methods once bound by the explorer. */
export type EventHandler = (connection: Connection, value: DecodedValue, event: string) => unknown;
/** An endpoint-level native message handler (`@OnMessage`): the bytes and the frame's opcode. */
export type NativeHandler = (connection: Connection, data: Buffer, isBinary: boolean) => unknown;
/** A connection hook (`onWsConnection`). */
export type ConnectionHook = (connection: Connection) => unknown;
/** A disconnect hook (`onWsDisconnect`). */
export type DisconnectHook = (connection: Connection, info: DisconnectInfo) => unknown;

/** What the explorer and the adapter registered for one endpoint, in registration order. */
export class HandlerRegistry {
  private readonly events = new Map<string, EventHandler[]>();
  readonly native: NativeHandler[] = [];
  readonly connectionHooks: ConnectionHook[] = [];
  readonly disconnectHooks: DisconnectHook[] = [];

  /** Adds a handler for an event; several handlers of one event run in registration order. */
  addEventHandler(event: string, handler: EventHandler): void {
    const list = this.events.get(event);
    if (list === undefined) this.events.set(event, [handler]);
    else list.push(handler);
  }

  /** The handlers of an event, or undefined when none serves it. */
  eventHandlers(event: string): readonly EventHandler[] | undefined {
    return this.events.get(event);
  }
}
