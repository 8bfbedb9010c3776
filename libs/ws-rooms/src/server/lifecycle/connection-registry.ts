import type { Connection } from '../../connection/connection';
import type { WsRoomsStats } from '../server-stats';

/** The live connections of this node, by id. */
export class ConnectionRegistry {
  private readonly byId = new Map<string, Connection>();

  constructor(private readonly stats: WsRoomsStats) {}

  /** Number of live connections. */
  get size(): number {
    return this.byId.size;
  }

  get(id: string): Connection | undefined {
    return this.byId.get(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  values(): IterableIterator<Connection> {
    return this.byId.values();
  }

  ids(): IterableIterator<string> {
    return this.byId.keys();
  }

  add(connection: Connection): void {
    this.byId.set(connection.id, connection);
    this.stats.connections = this.byId.size;
    this.stats.connectionsOpened++;
  }

  delete(connection: Connection): void {
    this.byId.delete(connection.id);
    this.stats.connections = this.byId.size;
  }
}
