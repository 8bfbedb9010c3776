import { hostname } from 'node:os';
import { describeError } from '../../util/describe-error';
import { bounded } from './bounded';
import type { LogSequencer } from './redis-log-sequencer';
import { forgetNode, type RedisPresenceStore } from './redis-presence-store';
import { type RedisStoreContext, wallNow } from './redis-store-context';

/** What the heartbeat reads of the rest of the store. */
export interface HeartbeatPeers {
  /** Local connections, for the snapshot. */
  connectionCount(): number;
  /** The presence store, once created. */
  presence(): RedisPresenceStore | null;
  /** The recovery log's sequencer, once created (its scripts are retried on the heartbeat). */
  sequencer(): LogSequencer | null;
  /** Refreshes the `connected` gauge. */
  updateGauges(): void;
}

/**
 * The node's heartbeat and the cluster's liveness. Every `heartbeatInterval` the node writes
 * `<keyPrefix>:node:<nodeId>` with a TTL of `heartbeatTtl`, holding a small snapshot (`connections`,
 * `rooms`, host, pid, start time), and adds its id to the set `<keyPrefix>:nodes`. The live nodes are
 * the ids whose key still exists: a node that crashes, freezes or is cut off stops refreshing and
 * drops out at most `heartbeatTtl` after its last heartbeat; the others are pruned from the set
 * (and, with presence, their members removed). A node that shuts down deletes its key at once.
 */
export class NodeHeartbeat {
  private timer: { cancel(): void } | null = null;
  /** True once a heartbeat was written: a later one that finds no key means the cluster forgot us. */
  private registered = false;
  private startedAt = 0;

  constructor(
    private readonly context: RedisStoreContext,
    private readonly peers: HeartbeatPeers,
  ) {}

  /** Notes when the node started (the snapshot's start time, for operators: the wall clock). */
  starting(): void {
    this.startedAt = wallNow(this.context.scheduler);
  }

  /** Beats every `heartbeatInterval` from now on (the first beat is the caller's, at start). */
  start(): void {
    this.timer = this.context.scheduler.every(
      this.context.options.heartbeatInterval,
      () => void this.beat(),
    );
  }

  /** Stops beating. */
  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  /**
   * Writes the heartbeat. Then, while running: retries the log scripts if their load failed, records
   * this node's presence members again if the cluster lost them, and forgets nodes that died.
   */
  async beat(): Promise<void> {
    const { context, peers } = this;
    const client = context.client();
    const node = context.node();
    if (client === null || node === null || client.status !== 'ready') return;
    const { keys, nodeId, options } = context;
    const snapshot = JSON.stringify({
      nodeId,
      host: hostname(),
      pid: process.pid,
      startedAt: this.startedAt,
      connections: peers.connectionCount(),
      rooms: node.index.roomCount,
    });
    let forgotten = false;
    try {
      const results = await client
        .multi()
        .set(keys.node(nodeId), snapshot, 'PX', options.heartbeatTtl, 'GET')
        .sadd(keys.nodes, nodeId)
        .exec();
      context.stats.heartbeats++;
      // No previous heartbeat: Redis restarted empty, or the others took this node for dead.
      forgotten = this.registered && results?.[0]?.[1] === null;
      this.registered = true;
    } catch (error) {
      context.failure('heartbeat', `heartbeat failed: ${describeError(error)}`);
    }
    peers.updateGauges();
    // A load that failed (e.g. an ACL without SCRIPT LOAD) is retried: until then nothing is logged.
    const sequencer = peers.sequencer();
    if (sequencer !== null && !sequencer.loaded && context.connected()) await sequencer.load();
    const presence = peers.presence();
    if (presence === null || !context.running()) return;
    if (forgotten || presence.needsResync) {
      context.logger.warn("the cluster lost this node's presence records: recording them again");
      await presence.resync();
    }
    // Finds (and forgets) nodes that died, even when nobody asks a query.
    await this.liveNodes().catch((error: unknown) => {
      context.failure('heartbeat', `reading the live nodes failed: ${describeError(error)}`);
    });
  }

  /** The ids of the nodes whose heartbeat key is alive (this one included), from Redis. */
  async liveNodes(): Promise<string[]> {
    const client = this.context.client();
    if (client === null || client.status !== 'ready') return [];
    const { keys } = this.context;
    const ids = await client.smembers(keys.nodes);
    if (ids.length === 0) return [];
    const beats = await client.mget(ids.map((id) => keys.node(id)));
    const live: string[] = [];
    const expired: string[] = [];
    ids.forEach((id, i) => (beats[i] === null ? expired : live).push(id));
    if (expired.length > 0) this.forgetNodes(expired);
    return live;
  }

  /** Leaves the cluster: deletes the heartbeat key, so queries stop expecting this node at once. */
  async leave(): Promise<void> {
    const client = this.context.client();
    if (client === null || client.status !== 'ready') return;
    const { keys, nodeId, options } = this.context;
    const leave = client.multi().del(keys.node(nodeId)).srem(keys.nodes, nodeId).exec();
    await bounded(leave, options.requestTimeout).catch(() => undefined);
  }

  /**
   * Drops dead nodes from the node set, and their presence members from their rooms; a node whose
   * heartbeat came back since the look is left alone (the script checks again).
   */
  private forgetNodes(nodeIds: readonly string[]): void {
    const { context } = this;
    const presence = this.peers.presence();
    for (const nodeId of nodeIds) {
      if (nodeId === context.nodeId) continue;
      if (presence !== null) {
        void presence.forgetNode(nodeId, 'dead');
        continue;
      }
      const client = context.client();
      if (client === null) continue;
      forgetNode(client, context.keys, nodeId, 'dead').catch((error: unknown) => {
        context.failure('heartbeat', `forgetting node ${nodeId} failed: ${describeError(error)}`);
      });
    }
  }
}
