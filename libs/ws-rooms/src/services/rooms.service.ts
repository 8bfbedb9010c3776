import type { BroadcastOperator } from '../interfaces/broadcast-operator.interface';
import type {
  EventArgs,
  EventName,
  ToClientEvents,
  UntypedEventMap,
  WsEventMap,
} from '../interfaces/event-map.interface';
import { NotMe, type Target } from '../interfaces/targets';
import type { PresenceMember } from '../server/extensions/presence-tracker';
import type { WsRoomsServer } from '../server/ws-rooms.server';
import type { ClusterQueryResult } from '../store/room-store.interface';

/**
 * Rooms of one endpoint, from anywhere in the app (an HTTP controller, a queue consumer):
 * broadcast to a room, a connection or everyone, move any connection in or out of rooms, and ask
 * who is where. Inject it as `RoomsService` (default endpoint) or with `@InjectRooms(name)`.
 *
 * `TEvents` is the endpoint's {@link WsEventMap}: `constructor(rooms: RoomsService<ChatEvents>)`
 * checks `emit` and `to(...).emit` against its `toClient` events (untyped by default). The type
 * argument is a compile-time view only: the injected instance is the same.
 */
export class RoomsService<TEvents extends WsEventMap = UntypedEventMap> {
  /** @internal created by WsRoomsModule */
  constructor(private readonly server: WsRoomsServer) {}

  /** Starts a broadcast: `to(room)`, `to(connectionId)` or `to(All)`. `NotMe` needs a sender: use `connection.to`. */
  to(target: Target): BroadcastOperator<TEvents> {
    if (target === NotMe) {
      throw new TypeError(
        'RoomsService.to(NotMe): there is no sender here; use connection.to(NotMe) or to(All).except(id)',
      );
    }
    return this.untyped(target);
  }

  /** Same as {@link RoomsService.to}. */
  in(target: Target): BroadcastOperator<TEvents> {
    return this.to(target);
  }

  /** Sends an event to every connection of the endpoint (without a value for a `void` event). */
  emit<K extends EventName<ToClientEvents<TEvents>>>(
    event: K,
    ...args: EventArgs<ToClientEvents<TEvents>[K]>
  ): void {
    this.untyped('').emit(event, ...args);
  }

  /** Adds a connection to a room, wherever it is connected. Resolves false when no such connection exists. */
  join(connectionId: string, room: string): Promise<boolean> {
    return this.server.command({ kind: 'join', connectionId, room });
  }

  /** Removes a connection from a room. Resolves false when no such connection exists. */
  leave(connectionId: string, room: string): Promise<boolean> {
    return this.server.command({ kind: 'leave', connectionId, room });
  }

  /** Ids of the members of a room (a connection id names a room of one). */
  async members(room: string): Promise<string[]> {
    return (await this.server.store.members(room)).value;
  }

  /** Non-empty rooms (own-id rooms are not listed). */
  async rooms(): Promise<string[]> {
    return (await this.server.store.rooms()).value;
  }

  /** Rooms of one connection, its own-id room excluded. */
  async roomsOf(connectionId: string): Promise<string[]> {
    return (await this.server.store.roomsOf(connectionId)).value;
  }

  /** Number of members of a room. */
  async count(room: string): Promise<number> {
    return (await this.server.store.members(room)).value.length;
  }

  /** Number of non-empty rooms across every node (own-id rooms not counted). */
  async roomCount(): Promise<number> {
    return (await this.server.store.rooms()).value.length;
  }

  /** Number of non-empty rooms on this node, without asking the store (as in the stats). */
  get localRoomCount(): number {
    return this.server.index.roomCount;
  }

  /** {@link RoomsService.members} with the `partial` flag a multi-node store sets when a node did not answer. */
  membersDetailed(room: string): Promise<ClusterQueryResult<string[]>> {
    return this.server.store.members(room);
  }

  /**
   * Members with metadata of a room that tracks presence (the `presence` option), on every node.
   * Members of a node that died are gone once its heartbeat expired (multi-node).
   */
  async presence(room: string): Promise<PresenceMember[]> {
    return (await this.server.presenceOf(room)).value;
  }

  /** {@link RoomsService.presence} with the `partial` flag (a node's records could not be read). */
  presenceDetailed(room: string): Promise<ClusterQueryResult<PresenceMember[]>> {
    return this.server.presenceOf(room);
  }

  /** {@link RoomsService.rooms} with the `partial` flag. */
  roomsDetailed(): Promise<ClusterQueryResult<string[]>> {
    return this.server.store.rooms();
  }

  /**
   * The server's operator seen through this service's map: the map only narrows what callers may
   * pass, and the server encodes any value by its runtime type.
   */
  private untyped(target: Target): BroadcastOperator<TEvents> {
    return this.server
      .broadcastFrom(undefined)
      .to(target) as BroadcastOperator<WsEventMap> as BroadcastOperator<TEvents>;
  }
}
