import type { Connection } from '../../connection/connection';

/** Room membership as the extensions change it, without the checks and hooks of a user's join. */
export interface MembershipPort {
  /** Puts a resuming connection back into a room (index and store); returns the store's work. */
  restore(connection: Connection, room: string): unknown;
  /** Takes a connection out of a room it was restored to (index and store). */
  forget(connection: Connection, room: string): void;
}
