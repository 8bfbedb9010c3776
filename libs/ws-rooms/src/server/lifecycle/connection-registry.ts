import type { Connection } from '../../connection/connection';
import type { WsRoomsStats } from '../server-stats';

/** Told when a connection joins or leaves the registry (the heartbeat). */
export interface RegistryWatcher {
  add(connection: Connection): void;
  remove(connection: Connection): void;
}

/** The live connections of this node, by id. */
export class ConnectionRegistry {
  private readonly byId = new Map<string, Connection>();
  /** Set once by the endpoint, after the heartbeat exists. */
  watcher: RegistryWatcher | undefined = undefined;

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
    this.watcher?.add(connection);
    this.stats.connections = this.byId.size;
    this.stats.connectionsOpened++;
  }

  delete(connection: Connection): void {
    this.byId.delete(connection.id);
    this.watcher?.remove(connection);
    this.stats.connections = this.byId.size;
  }
}
