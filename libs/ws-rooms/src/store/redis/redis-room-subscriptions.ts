import { describeError } from '../../util/describe-error';
import type { LocalNode } from '../room-store.interface';
import { ChannelSubscriptions, type SubscriberConnection } from './channel-subscriptions';
import type { RedisStoreContext } from './redis-store-context';

/**
 * Which channels this node listens to, kept in line with its connections and rooms:
 * - the node-wide ones (`all`, `req`, its reply channel, and `logged` with recovery on);
 * - `conn:<id>` for each local connection, so that `to(id)` and commands reach it;
 * - `room:<name>` while the room has a local member, so that a busy room never wakes a node
 *   without members in it.
 *
 * Ids and rooms have channels of their own (`RedisKeys`): a room is released when its last local
 * member leaves, a connection's channel when the connection goes, each independently of the other.
 * Keeps the `subscriptions` gauge of the stats.
 */
export class RoomSubscriptions {
  private channels: ChannelSubscriptions | null = null;
  private connections = 0;

  constructor(private readonly context: RedisStoreContext) {}

  /** Number of local connections (for the heartbeat's snapshot). */
  get connectionCount(): number {
    return this.connections;
  }

  /**
   * Subscribes to the node-wide channels and to the channels of every connection and room the node
   * has now; resolves once Redis confirmed them (each batch bounded by `requestTimeout`).
   */
  async start(subscriber: SubscriberConnection, node: LocalNode, logged: boolean): Promise<void> {
    const { keys, nodeId, options } = this.context;
    const channels = new ChannelSubscriptions(subscriber, options.requestTimeout, (error) =>
      this.context.failure('subscribe', `subscription change failed: ${describeError(error)}`),
    );
    this.channels = channels;
    for (const channel of [keys.all, keys.requests, keys.replies(nodeId)]) channels.add(channel);
    // Logged broadcasts reach every node in one order, hence one channel for all of them.
    if (logged) channels.add(keys.logged);
    for (const id of node.connectionIds()) {
      this.connections++;
      channels.add(keys.connection(id));
    }
    for (const room of node.index.rooms()) channels.add(keys.room(room));
    this.updateGauge();
    await channels.settled();
  }

  /**
   * The room's channel is wanted (its first local member joined). The promise, if any, resolves
   * when Redis confirmed it: the server's `join()` awaits it, so a broadcast another node sends
   * once the join resolved reaches the new member.
   */
  joined(room: string): Promise<void> | undefined {
    return this.want(this.context.keys.room(room));
  }

  /** Releases the room's channel when its last local member left. */
  left(room: string): void {
    const node = this.context.node();
    if (node === null || node.index.membersOf(room).size > 0) return;
    this.release(this.context.keys.room(room));
  }

  /** The connection's own channel is wanted: `to(id)` and commands from other nodes reach it. */
  connected(connectionId: string): Promise<void> | undefined {
    if (this.channels === null) return undefined;
    this.connections++;
    return this.want(this.context.keys.connection(connectionId));
  }

  /** Releases the connection's channel and those of the rooms it was the last local member of. */
  disconnected(connectionId: string, rooms: readonly string[]): void {
    this.connections = Math.max(0, this.connections - 1);
    if (this.context.node()?.hasConnection(connectionId) !== true) {
      this.release(this.context.keys.connection(connectionId));
    }
    for (const room of rooms) this.left(room);
  }

  /** True when this node listens to the channel. */
  has(channel: string): boolean {
    return this.channels?.has(channel) ?? false;
  }

  /** Resolves when every change so far is confirmed (or timed out, or dropped while offline). */
  settled(): Promise<void> {
    return this.channels?.settled() ?? Promise.resolve();
  }

  /** After the subscriber connection came back: it has no subscriptions, every one is sent again. */
  resubscribeAll(): Promise<void> {
    return this.channels?.resubscribeAll() ?? Promise.resolve();
  }

  private want(channel: string): Promise<void> | undefined {
    // Before start() the node's connections and rooms are read from the node instead.
    if (this.channels === null) return undefined;
    const confirmed = this.channels.add(channel);
    this.updateGauge();
    return confirmed;
  }

  private release(channel: string): void {
    if (this.channels === null) return;
    this.channels.remove(channel);
    this.updateGauge();
  }

  private updateGauge(): void {
    this.context.stats.subscriptions = this.channels?.size ?? 0;
  }
}
