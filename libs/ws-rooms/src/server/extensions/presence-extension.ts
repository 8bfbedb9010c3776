import type { Connection } from '../../connection/connection';
import type { PresenceMember } from '../../store/presence-store.interface';
import type { ClusterQueryResult } from '../../store/room-store.interface';
import type { PresenceCoordinator } from './presence-coordinator';
import type { ConnectionEnd, ServerExtension } from './server-extension';

/**
 * Presence of opted-in rooms as a server extension: joins, leaves and ends of local connections
 * become presence changes, and a resumed connection is announced again after its replay, so that
 * the fresh member list it gets supersedes the replayed changes.
 */
export class PresenceExtension implements ServerExtension {
  constructor(
    private readonly coordinator: PresenceCoordinator,
    private readonly track: (result: unknown) => void,
  ) {}

  /** Resolves once presence recorded the member too: `presence(room)` right after lists it. */
  joined(connection: Connection, room: string, routed: unknown): unknown {
    if (!this.coordinator.tracks(room)) return undefined;
    return this.coordinator.joined(connection, room, routed);
  }

  /** The leaver is no longer a member and misses the room's `left`: its view is emptied. */
  left(connection: Connection, room: string): unknown {
    return this.coordinator.left(connection.id, room, true);
  }

  ended(connection: Connection, end: ConnectionEnd): undefined {
    for (const room of end.rooms) this.track(this.coordinator.left(connection.id, room, false));
    return undefined;
  }

  /** The rooms saw this connection leave: announce it again, after the replay. */
  resumed(
    connection: Connection,
    rooms: readonly string[],
    ready: Promise<unknown> | undefined,
  ): void {
    for (const room of rooms) {
      if (this.coordinator.tracks(room))
        this.track(this.coordinator.joined(connection, room, ready));
    }
  }

  /** Members with metadata of a presence-tracked room, on every node. */
  members(room: string): Promise<ClusterQueryResult<PresenceMember[]>> {
    return this.coordinator.members(room);
  }

  /** Resolves once every pending presence change reached the store. */
  idle(): Promise<void> {
    return this.coordinator.idle();
  }
}
