import type {
  PresenceMember,
  PresenceSnapshot,
  PresenceStore,
} from '../../store/presence-store.interface';
import type { ClusterQueryResult } from '../../store/room-store.interface';
import { after, isPromiseLike } from '../../util/maybe-promise';
import type { PresenceTracker } from './presence-tracker';

/** The `ws-rooms:presence` payloads (docs/protocol.md, "Reserved events"). */
export type PresencePayload =
  | { readonly room: string; readonly joined: PresenceMember; readonly version?: number }
  | { readonly room: string; readonly left: { readonly id: string }; readonly version?: number }
  | {
      readonly room: string;
      readonly members: readonly PresenceMember[];
      readonly version?: number;
    };

/** How the coordinator reaches clients; the server implements it. */
export interface PresenceOutlet {
  /** Broadcasts a payload to a room (every node), skipping the connection `except` when given. */
  toRoom(room: string, payload: PresencePayload, except: string | null): void;
  /** Sends a payload to one local connection, if it is still open. */
  toConnection(connectionId: string, payload: PresencePayload): void;
  /** Reports a store failure (logged by the server). */
  failed(error: unknown): void;
}

/**
 * The presence protocol of one endpoint: when a local connection joins a tracked room, the store
 * records it and the room hears `joined`; the joiner gets the room's member list; a leave (or a
 * disconnect) becomes `left`. Every change carries the room's version, so that a client can merge a
 * list read on one node with changes that reached it from others.
 *
 * The steps of one connection in one room run in order even when the store is asynchronous (a
 * leave never overtakes its join), and the joiner's list is read only once the store routes the
 * room's broadcasts to it, so that no change falls between the list and the live updates.
 */
export class PresenceCoordinator {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly tracker: PresenceTracker,
    private readonly store: PresenceStore,
    private readonly outlet: PresenceOutlet,
  ) {
    store.attach({
      removed: (room, id, version) => {
        // Still a member here: the store is clearing this node's records to write them again.
        if (!this.tracker.has(id, room))
          outlet.toRoom(room, versioned({ room, left: { id } }, version), null);
      },
      lost: () => this.recordAgain(),
      localMembers: (room) => this.tracker.members(room),
    });
  }

  /** True when the room tracks presence. */
  tracks(room: string): boolean {
    return this.tracker.tracks(room);
  }

  /**
   * A local connection joined a tracked room. `routed` settles once the room's broadcasts reach the
   * connection (a multi-node store subscribes first). Returns a promise while steps are pending.
   */
  joined(
    connection: { readonly id: string; readonly principal: unknown },
    room: string,
    routed: unknown,
  ): Promise<void> | undefined {
    const member = this.tracker.add(connection, room);
    return this.serial(member.id, room, () =>
      // A failed subscription is the server's to log; presence goes on with what the store has.
      after(
        isPromiseLike(routed) ? Promise.resolve(routed).catch(() => undefined) : undefined,
        () =>
          after(this.store.add(room, member), (snapshot) =>
            this.announceJoin(room, member, snapshot),
          ),
      ),
    );
  }

  /**
   * A local connection left a tracked room or went away (`open` false): the room hears `left`,
   * and a leaver that is still connected gets an empty list for the room.
   */
  left(connectionId: string, room: string, open: boolean): Promise<void> | undefined {
    if (!this.tracker.remove(connectionId, room)) return undefined;
    return this.serial(connectionId, room, () => {
      if (open) this.outlet.toConnection(connectionId, { room, members: [] });
      return after(this.store.remove(room, connectionId), (version) => {
        if (version !== null)
          this.outlet.toRoom(room, versioned({ room, left: { id: connectionId } }, version), null);
      });
    });
  }

  /** The members of a room across every node; `partial` when some could not be read. */
  async members(room: string): Promise<ClusterQueryResult<PresenceMember[]>> {
    const snapshot = await this.store.snapshot(room);
    return { value: [...snapshot.members], partial: snapshot.partial };
  }

  /** Resolves when no step is pending (shutdown waits for the last leaves to be recorded). */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  private announceJoin(room: string, member: PresenceMember, snapshot: PresenceSnapshot): void {
    const { version } = snapshot;
    this.outlet.toRoom(room, versioned({ room, joined: member }, version), member.id);
    // A connection that left (or closed) meanwhile must not get a list it would keep forever.
    if (this.tracker.has(member.id, room)) {
      this.outlet.toConnection(member.id, versioned({ room, members: snapshot.members }, version));
    }
  }

  /** The store lost this node's records: record every local member again and tell the rooms. */
  private recordAgain(): void {
    for (const [room, member] of [...this.tracker.entries()]) {
      this.serial(member.id, room, () =>
        after(this.store.add(room, member), (snapshot) => {
          if (!this.tracker.has(member.id, room)) return;
          this.outlet.toRoom(
            room,
            versioned({ room, joined: member }, snapshot.version),
            member.id,
          );
        }),
      );
    }
  }

  /**
   * Runs the steps of one connection in one room in order. A step that completes synchronously
   * (the memory store) leaves nothing behind.
   */
  private serial(
    connectionId: string,
    room: string,
    step: () => unknown,
  ): Promise<void> | undefined {
    const key = JSON.stringify([connectionId, room]);
    const previous = this.chains.get(key);
    let result: unknown;
    if (previous === undefined) {
      try {
        result = step();
      } catch (error) {
        this.outlet.failed(error);
        return undefined;
      }
      if (!isPromiseLike(result)) return undefined;
    }
    const run = previous === undefined ? Promise.resolve(result) : previous.then(step);
    const chained: Promise<void> = run.then(
      () => undefined,
      (error: unknown) => this.outlet.failed(error),
    );
    this.chains.set(key, chained);
    void chained.finally(() => {
      if (this.chains.get(key) === chained) this.chains.delete(key);
    });
    return chained;
  }
}

/** Adds the version to a payload; 0 (a store that could not number the change) adds none. */
function versioned<T extends PresencePayload>(payload: T, version: number): T {
  return version > 0 ? { ...payload, version } : payload;
}
