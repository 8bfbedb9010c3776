import type { UntypedEventMap, WsEventMap } from '../interfaces/event-map.interface';
import type { WsConnection } from '../interfaces/ws-connection.interface';
import type { WsRoomsServer } from '../server/ws-rooms.server';
import type { WsRoomsStats } from '../server/server-stats';
import { snapshotStats } from '../observability/stats-snapshot';

/**
 * Connections of one endpoint: look one up by id, iterate, count, disconnect. Lookups see this
 * node's connections; `disconnect` and `countAll` reach every node of a multi-node setup. Inject it
 * as `ConnectionsService` (default endpoint) or with `@InjectConnections(name)`.
 *
 * `TEvents` is the endpoint's {@link WsEventMap}: the connections it hands out are typed with it
 * (untyped by default); a compile-time view of the same instance.
 */
export class ConnectionsService<TEvents extends WsEventMap = UntypedEventMap> {
  /** @internal created by WsRoomsModule */
  constructor(private readonly server: WsRoomsServer) {}

  /** The local connection with this id; `TData` and `TPrincipal` type its `data` and `principal`. */
  get<TData extends object = Record<string, unknown>, TPrincipal = unknown>(
    id: string,
  ): WsConnection<TData, TPrincipal, TEvents> | undefined {
    return this.server.getConnection(id) as WsConnection | undefined as
      WsConnection<TData, TPrincipal, TEvents> | undefined;
  }

  /** True when a connection with this id is on this node. */
  has(id: string): boolean {
    return this.server.getConnection(id) !== undefined;
  }

  /** Number of connections on this node. */
  get count(): number {
    return this.server.connectionCount;
  }

  /** Number of connections on every node. */
  async countAll(): Promise<number> {
    return (await this.server.store.connectionCount()).value;
  }

  /** Every connection on this node. */
  values(): IterableIterator<WsConnection<Record<string, unknown>, unknown, TEvents>> {
    return this.server.localConnections() as IterableIterator<WsConnection> as IterableIterator<
      WsConnection<Record<string, unknown>, unknown, TEvents>
    >;
  }

  /** Iterates over every connection on this node (`for (const c of connections)`). */
  [Symbol.iterator](): IterableIterator<WsConnection<Record<string, unknown>, unknown, TEvents>> {
    return this.values();
  }

  /**
   * Disconnects a connection by id, wherever it is. Resolves false when there is no such connection.
   * @param code 1000 (default) or an application code 3000–4999.
   */
  async disconnect(id: string, code = 1000, reason = ''): Promise<boolean> {
    const local = this.server.getConnection(id);
    if (local !== undefined) {
      local.disconnect(code, reason);
      return true;
    }
    return this.server.command({ kind: 'disconnect', connectionId: id, code, reason });
  }

  /** A copy of the endpoint's counters on this node (see {@link WsRoomsStats}). */
  stats(): Readonly<WsRoomsStats> {
    return snapshotStats(this.server.stats);
  }
}
