import type { Connection } from '../../connection/connection';
import { WsRoomsErrorCode } from '../../errors/error-codes';
import { WsRoomsError } from '../../errors/ws-rooms.error';
import type { RoomIndex } from '../../store/room-index';
import type { RoomStore } from '../../store/room-store.interface';
import type { MembershipPort } from '../extensions/membership-port';
import type { ServerExtension } from '../extensions/server-extension';
import { isPromiseLike } from '../../util/maybe-promise';
import { assertRoomName, type RoomNameRules } from './room-name';

const RESOLVED: Promise<void> = Promise.resolve();

/** The limits of one connection's memberships. */
export interface MembershipLimits extends RoomNameRules {
  readonly maxRoomsPerConnection: number;
}

/**
 * Room membership of local connections: checked and applied to the local index at once (so that a
 * broadcast right after a join reaches the new member), then handed to the store and to the
 * extensions. The promises it returns never reject: store failures are reported.
 */
export class Membership implements MembershipPort {
  constructor(
    private readonly index: RoomIndex,
    private readonly store: RoomStore,
    private readonly extensions: readonly ServerExtension[],
    private readonly limits: MembershipLimits,
    private readonly track: (result: unknown) => void,
    private readonly failed: (error: unknown) => void,
  ) {}

  /**
   * Joins a room. Resolves once the store and the extensions (presence) have recorded it.
   * @throws WsRoomsError synchronously for an invalid or id-shaped room name, a name over
   * `maxRoomNameLength`, or `maxRoomsPerConnection`.
   */
  join(connection: Connection, room: string): Promise<void> {
    if (connection.closed || room === connection.id) return RESOLVED;
    assertRoomName(room, this.limits);
    if (this.index.has(connection.id, room)) return RESOLVED;
    if (this.index.roomsOf(connection.id).size >= this.limits.maxRoomsPerConnection) {
      throw new WsRoomsError(
        WsRoomsErrorCode.RoomLimit,
        `connection is already in ${this.limits.maxRoomsPerConnection} rooms (maxRoomsPerConnection)`,
      );
    }
    this.index.add(connection.id, room);
    const routed = this.store.joined(connection.id, room);
    const waits: unknown[] = [routed];
    for (const extension of this.extensions) {
      const result = extension.joined?.(connection, room, routed);
      if (result !== undefined) waits.push(result);
    }
    return this.settle(waits);
  }

  /** Leaves a room (a no-op when not a member). */
  leave(connection: Connection, room: string): Promise<void> {
    if (room === connection.id) return RESOLVED;
    assertRoomName(room, this.limits);
    if (!this.index.remove(connection.id, room)) return RESOLVED;
    const waits: unknown[] = [];
    for (const extension of this.extensions) {
      const result = extension.left?.(connection, room);
      if (result !== undefined) waits.push(result);
    }
    waits.push(this.store.left(connection.id, room));
    return this.settle(waits);
  }

  /** Takes a closing connection out of every room; returns the rooms it was in. */
  leaveAll(connection: Connection): string[] {
    const rooms = this.index.removeAll(connection.id);
    this.track(this.store.disconnected(connection.id, rooms));
    return rooms;
  }

  restore(connection: Connection, room: string): unknown {
    return this.index.add(connection.id, room) ? this.store.joined(connection.id, room) : undefined;
  }

  forget(connection: Connection, room: string): void {
    if (this.index.remove(connection.id, room)) this.track(this.store.left(connection.id, room));
  }

  private async settle(results: readonly unknown[]): Promise<void> {
    const pending = results.filter(isPromiseLike);
    if (pending.length === 0) return;
    try {
      await Promise.all(pending);
    } catch (error) {
      this.failed(error);
    }
  }
}
