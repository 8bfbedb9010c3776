import type {
  ClusterQueryResult,
  LocalNode,
  OutboundBroadcast,
  RemoteCommand,
  RoomStore,
} from './room-store.interface';

/**
 * The single-node store, the default: the node's own index is the whole truth, there is no one to
 * publish to, and a connection that is not local does not exist.
 */
export class MemoryRoomStore implements RoomStore {
  private node: LocalNode | null = null;

  start(node: LocalNode): void {
    this.node = node;
  }

  // Parameters are declared (unused) so that a subclass can override these hooks with them.
  joined(_connectionId: string, _room: string): void {}

  left(_connectionId: string, _room: string): void {}

  connected(_connectionId: string): void {}

  disconnected(_connectionId: string, _rooms: readonly string[]): void {}

  publish(_broadcast: OutboundBroadcast): void {}

  async sendRemote(_command: RemoteCommand): Promise<boolean> {
    return false;
  }

  async members(room: string): Promise<ClusterQueryResult<string[]>> {
    const node = this.requireNode();
    const members = [...node.index.membersOf(room)];
    if (node.hasConnection(room) && !members.includes(room)) members.push(room);
    return complete(members);
  }

  async rooms(): Promise<ClusterQueryResult<string[]>> {
    return complete([...this.requireNode().index.rooms()]);
  }

  async roomsOf(connectionId: string): Promise<ClusterQueryResult<string[]>> {
    return complete([...this.requireNode().index.roomsOf(connectionId)]);
  }

  async connectionCount(): Promise<ClusterQueryResult<number>> {
    let count = 0;
    for (const _id of this.requireNode().connectionIds()) count++;
    return complete(count);
  }

  async close(): Promise<void> {
    this.node = null;
  }

  private requireNode(): LocalNode {
    if (this.node === null) throw new Error('MemoryRoomStore used before start()');
    return this.node;
  }
}

function complete<T>(value: T): ClusterQueryResult<T> {
  return { value, partial: false };
}
