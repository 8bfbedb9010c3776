import { describeError } from '../../util/describe-error';
import type { LocalNode, OutboundBroadcast, RemoteCommand } from '../room-store.interface';
import type { PublishBudget } from './redis-publish-budget';
import type { RedisReplies } from './redis-replies';
import type { RoomSubscriptions } from './redis-room-subscriptions';
import { type RedisStoreContext, refuseOverLimits } from './redis-store-context';
import { broadcastBeyondLimits, encodeBroadcast, encodeCommand } from './redis-wire';

/**
 * What this node sends to the others, and the commands it runs for them:
 * - a broadcast is published once, whatever the number of nodes: on the connection's channel for
 *   one id, on the room's channel for one room, on `<keyPrefix>:all` for everyone or several rooms
 *   (every node then applies the room list to its own index, which keeps exactly-once);
 * - a command (join, leave, disconnect, takeover) for a connection of another node goes on that
 *   connection's channel, which only its owner listens to.
 *
 * Nothing waits for Redis on the way out: while it is unreachable, or owes more than
 * `maxUnacknowledgedBytes`, broadcasts for other nodes are dropped and counted, never queued.
 */
export class RedisPublisher {
  constructor(
    private readonly context: RedisStoreContext,
    private readonly budget: PublishBudget,
    private readonly subscriptions: RoomSubscriptions,
    private readonly replies: RedisReplies,
  ) {}

  /** Publishes a broadcast already delivered on this node, once, on the one channel it needs. */
  publish(broadcast: OutboundBroadcast): void {
    const { context } = this;
    const node = context.node();
    const client = context.client();
    const { rooms } = broadcast;
    if (!context.running() || node === null || client === null) return;
    if (rooms !== null && rooms.length === 0) return;
    if (client.status !== 'ready') {
      context.stats.publishSkipped++;
      return;
    }
    if (this.budget.exhausted) {
      // Redis accepts the connection but does not answer (frozen, swapping): do not pile up.
      context.stats.publishSkipped++;
      context.failure(
        'backlog',
        'Redis is not acknowledging publishes: dropping broadcasts for other nodes',
      );
      return;
    }
    const beyond = broadcastBeyondLimits(broadcast, context.limits);
    const data = beyond === null ? encodeBroadcast(context.nodeId, broadcast) : null;
    if (data === null || data.length > context.limits.maxMessageBytes) {
      return refuseOverLimits(context, beyond ?? `a broadcast of ${data!.length} bytes`);
    }
    const channel =
      rooms !== null && rooms.length === 1 ? this.targetChannel(rooms[0], node) : context.keys.all;
    context.stats.published++;
    this.budget.take(data.length);
    client.publish(channel, data).then(
      () => this.budget.give(data.length),
      (error: unknown) => {
        this.budget.give(data.length);
        context.stats.publishSkipped++;
        context.failure('publish', `publish failed: ${describeError(error)}`);
      },
    );
  }

  /**
   * Sends a command on the connection's channel. `PUBLISH` tells how many listen: with none, this
   * resolves false at once; otherwise when the owner answers that it ran it, when every listener
   * answered that it did not, or after `requestTimeout`.
   */
  async sendRemote(command: RemoteCommand): Promise<boolean> {
    const { context } = this;
    const client = context.client();
    if (!context.running() || client === null || client.status !== 'ready') return false;
    context.stats.commandsSent++;
    const channel = context.keys.connection(command.connectionId);
    const id = this.replies.newId();
    const data = encodeCommand(context.nodeId, id, command);
    if (data.length > context.limits.maxMessageBytes) {
      refuseOverLimits(context, `a ${command.kind} command of ${data.length} bytes`);
      return false;
    }
    const collector = this.replies.collect(id, (reply) => reply.ran === true);
    try {
      const receivers = await client.publish(channel, data);
      // This node listens on its own connections' channels: it does not answer itself.
      collector.expectCount(receivers - (this.subscriptions.has(channel) ? 1 : 0));
    } catch (error) {
      context.failure('command', `remote command failed: ${describeError(error)}`);
      collector.abort();
    }
    const { answers } = await collector.result;
    for (const reply of answers.values()) if (reply.ran === true) return true;
    return false;
  }

  /** Runs a command another node sent for a connection of this node, and answers whether it ran. */
  async run(origin: string, id: number, command: RemoteCommand, node: LocalNode): Promise<void> {
    let ran = false;
    try {
      ran = await node.runLocally(command);
      if (ran) {
        this.context.stats.commandsRun++;
        // "Ran" means effective: a broadcast the asker sends next already reaches a joined member.
        if (command.kind === 'join' || command.kind === 'leave') {
          await this.subscriptions.settled();
        }
      }
    } catch (error) {
      this.context.failure(
        'command',
        `running a remote ${command.kind} failed: ${describeError(error)}`,
      );
    }
    this.replies.send(origin, { id, ran });
  }

  /** The channel of a single target: a connection id and a room never share one. */
  private targetChannel(name: string, node: LocalNode): string {
    const { keys } = this.context;
    return node.isConnectionId(name) ? keys.connection(name) : keys.room(name);
  }
}
