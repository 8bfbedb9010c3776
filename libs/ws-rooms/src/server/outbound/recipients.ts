import type { Connection } from '../../connection/connection';
import type { RoomIndex } from '../../store/room-index';

/** The local connections by id. */
export interface ConnectionLookup {
  get(id: string): Connection | undefined;
  values(): IterableIterator<Connection>;
}

/**
 * Turns a target (everyone, rooms and connection ids, minus `except` rooms and ids) into the local
 * connections it reaches, each once. A target name is a connection id or a room, never both:
 * `isConnectionId` decides, and joins refuse room names shaped like ids, so a client cannot make
 * a room that receives what is sent to somebody else's id.
 */
export class Recipients {
  constructor(
    private readonly connections: ConnectionLookup,
    private readonly index: RoomIndex,
    private readonly isConnectionId: (name: string) => boolean,
  ) {}

  /** Visits every local connection the target reaches, once each. `rooms === null`: everyone. */
  forEach(
    rooms: readonly string[] | null,
    except: readonly string[],
    visit: (connection: Connection) => void,
  ): void {
    const excluded = except.length === 0 ? null : this.expand(except);
    if (rooms === null) {
      for (const connection of this.connections.values()) {
        if (excluded === null || !excluded.has(connection.id)) visit(connection);
      }
      return;
    }
    if (rooms.length === 1) {
      this.visitTarget(rooms[0], excluded, visit, false);
      return;
    }
    const seen = new Set<string>(excluded ?? undefined);
    for (const room of rooms) this.visitTarget(room, seen, visit, true);
  }

  /** Rooms and ids to the set of local connection ids they stand for. */
  expand(roomsOrIds: readonly string[]): Set<string> {
    const ids = new Set<string>();
    for (const name of roomsOrIds) {
      if (this.isConnectionId(name)) {
        if (this.connections.get(name) !== undefined) ids.add(name);
      } else {
        for (const id of this.index.membersOf(name)) ids.add(id);
      }
    }
    return ids;
  }

  private visitTarget(
    name: string,
    skip: Set<string> | null,
    visit: (connection: Connection) => void,
    remember: boolean,
  ): void {
    if (this.isConnectionId(name)) {
      const own = this.connections.get(name);
      if (own === undefined || (skip !== null && skip.has(name))) return;
      if (remember) skip!.add(name);
      visit(own);
      return;
    }
    for (const id of this.index.membersOf(name)) {
      if (skip !== null && skip.has(id)) continue;
      if (remember) skip!.add(id);
      const connection = this.connections.get(id);
      if (connection !== undefined) visit(connection);
    }
  }
}
