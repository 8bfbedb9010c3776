import type { UntypedEventMap, WsEventMap } from '../interfaces/event-map.interface';
import type { WsConnection } from '../interfaces/ws-connection.interface';
import type { WsRoomsServer } from '../server/ws-rooms.server';
import { ConnectionsService } from '../services/connections.service';
import { RoomsService } from '../services/rooms.service';

/**
 * What `@WebSocketServer()` gives a `@WsRoomsGateway`: the gateway's endpoint, from which to
 * broadcast, move connections in and out of rooms, and find connections. It is a
 * {@link RoomsService} of the endpoint (`to(room).emit`, `emit`, `join`, `leave`, `members`,
 * `presence`...) with the endpoint's {@link ConnectionsService} beside it. The property is set before
 * any `onModuleInit` of the gateway runs.
 *
 * ```ts
 * @WsRoomsGateway()
 * export class ChatGateway {
 *   @WebSocketServer() server!: WsRoomsEndpoint;
 *
 *   @OnEvent('kick')
 *   async kick(@MessageBody() id: string): Promise<boolean> {
 *     this.server.to('lobby').emit('kicked', id);
 *     return this.server.connections.disconnect(id, 4000, 'kicked');
 *   }
 * }
 * ```
 *
 * `TEvents` is the endpoint's {@link WsEventMap}, as for `RoomsService` and `WsConnection`:
 * `@WebSocketServer() server!: WsRoomsEndpoint<ChatEvents>` checks `emit`, `to(...).emit` and the
 * connections it hands out against its `toClient` events (untyped by default). A compile-time view
 * only: the property holds the same object.
 *
 * With `app.useWebSocketAdapter(new WsRoomsAdapter(app))` and Nest's own `@WebSocketGateway`,
 * `@WebSocketServer()` is Nest's business and gives the adapter's `WsRoomsServer` instead.
 */
export class WsRoomsEndpoint<
  TEvents extends WsEventMap = UntypedEventMap,
> extends RoomsService<TEvents> {
  /** The endpoint's name (the `name` option of `WsRoomsModule.forRoot`, `'default'` unless set). */
  readonly name: string;
  /** The endpoint's path, e.g. `'/ws'` (`''` when the websocket server is disabled). */
  readonly path: string;
  /** The endpoint's connections: `get(id)`, `has(id)`, `count`, iteration, `disconnect(id)`. */
  readonly connections: ConnectionsService<TEvents>;

  /** @internal created by ws-rooms for each endpoint */
  constructor(server: WsRoomsServer) {
    super(server);
    this.name = server.name;
    this.path = server.options.endpoint;
    this.connections = new ConnectionsService<TEvents>(server);
  }

  /**
   * The connection with this id on this node, or undefined (same as `connections.get(id)`);
   * `TData` and `TPrincipal` type its `data` and `principal`.
   */
  connection<TData extends object = Record<string, unknown>, TPrincipal = unknown>(
    id: string,
  ): WsConnection<TData, TPrincipal, TEvents> | undefined {
    return this.connections.get<TData, TPrincipal>(id);
  }
}
