import type { WsMessageHandler } from '@nestjs/common';
import { lastValueFrom, type Observable } from 'rxjs';
import type { WsConnection } from '../interfaces/ws-connection.interface';
import { assertEventName } from '../protocol/message-codec';
import type { WsRoomsServer } from '../server/ws-rooms.server';

/** One of Nest's handlers, bound to one connection: the value it resolves to is the answer. */
type BoundHandler = (value: unknown) => Promise<unknown>;

/**
 * Serves the `@SubscribeMessage` handlers of Nest's own gateways (`@WebSocketGateway` with
 * `WsRoomsAdapter`) as endpoint handlers of the ws-rooms server, so that events and requests
 * (`client.request(...)`) reach them alike: the server sends an event handler's value back as the
 * same event (or `{ event, data }`'s event), and answers a request with the first handler's value.
 *
 * Nest hands the adapter each gateway's handlers once per connection, bound to that connection
 * (`bindMessageHandlers`), one call per gateway in the order the gateways' connection hooks run —
 * the same order for every connection of a server. So the k-th call on any connection comes from
 * the same gateway: the server gets one handler per (k, message), registered with the first
 * connection, which calls the k-th gateway's handler of the connection the message came from.
 */
export class NestMessageBindings {
  private readonly serverOf = new WeakMap<WsConnection, WsRoomsServer>();
  private readonly gatewaysOf = new WeakMap<WsConnection, Map<string, BoundHandler>[]>();
  private readonly registered = new WeakMap<WsRoomsServer, Set<string>>();

  /** Remembers the server of a new connection (before Nest binds its handlers). */
  connected(server: WsRoomsServer, connection: WsConnection): void {
    this.serverOf.set(connection, server);
  }

  /**
   * Binds one gateway's handlers for one connection.
   * @throws WsRoomsError `WS_ROOMS_INVALID_EVENT_NAME` for a message that is not a valid event
   *   name (a non-string, an empty name, one with `;`, a reserved `ws-rooms:` name).
   */
  bind(
    connection: WsConnection,
    handlers: readonly WsMessageHandler<unknown>[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    const server = this.serverOf.get(connection);
    if (server === undefined) return;
    let gateways = this.gatewaysOf.get(connection);
    if (gateways === undefined) {
      gateways = [];
      this.gatewaysOf.set(connection, gateways);
    }
    const slot = gateways.length;
    const bound = new Map<string, BoundHandler>();
    gateways.push(bound);
    for (const { message, callback } of handlers) {
      assertEventName(message as string, true);
      const event = message as string;
      bound.set(event, (value) =>
        lastValueFrom(transform(callback(value)), { defaultValue: undefined }),
      );
      this.register(server, slot, event);
    }
  }

  private register(server: WsRoomsServer, slot: number, event: string): void {
    let keys = this.registered.get(server);
    if (keys === undefined) {
      keys = new Set();
      this.registered.set(server, keys);
    }
    const key = `${slot};${event}`;
    if (keys.has(key)) return;
    keys.add(key);
    server.addEventHandler(event, (connection, value) =>
      this.gatewaysOf.get(connection)?.[slot]?.get(event)?.(value),
    );
  }
}
