import type { WsRoomsStats } from '../server/server-stats';
import type { BroadcastOperator } from './broadcast-operator.interface';
import type { WsConnection } from './ws-connection.interface';

/**
 * One endpoint's server, as an application sees it: what `getWsRoomsServerToken(name)` injects,
 * and what `@WebSocketServer()` gives a Nest `@WebSocketGateway` served by `WsRoomsAdapter`. The
 * class behind it is internal (`ws-rooms/internal`, not covered by semantic versioning); rooms and
 * connections are usually easier to reach through `RoomsService` and `ConnectionsService`.
 */
export interface WsRoomsServer {
  /** The endpoint's name (the `name` option, `'default'` unless set). */
  readonly name: string;
  /** Live connections on this node. */
  readonly connectionCount: number;
  /** The endpoint's live counters on this node (`ConnectionsService.stats()` copies them). */
  readonly stats: Readonly<WsRoomsStats>;
  /** The connection with this id on this node, or undefined. */
  getConnection(id: string): WsConnection | undefined;
  /** Every connection on this node. */
  localConnections(): IterableIterator<WsConnection>;
  /**
   * A broadcast operator with no target yet (`.to(room).emit(...)`); `senderId` is the connection
   * that `NotMe` leaves out, `undefined` for none.
   */
  broadcastFrom(senderId: string | undefined): BroadcastOperator;
}
