import type { BroadcastRequestResult } from '../../interfaces/broadcast-operator.interface';
import type { EmitValue } from '../../protocol/message-codec';
import { describeError } from '../../util/describe-error';
import type { ClusterQueryResult, LocalNode, OutboundRequest } from '../room-store.interface';
import type { RedisReplies } from './redis-replies';
import { type RedisStoreContext, refuseOverLimits } from './redis-store-context';
import {
  encodeRequest,
  fromWireValue,
  toWireValue,
  type WireQuery,
  type WireReplyBody,
} from './redis-wire';

/** A `request` query, as another node asks it. */
type RequestQuery = Extract<WireQuery, { kind: 'request' }>;

/**
 * Cluster-wide queries, both ways. Asking: one request on `<keyPrefix>:req`, every live node answers
 * from its own index on the asker's reply channel, the answers are merged (union of members or
 * rooms, sum of counts; for `roomsOf`, the owner's answer ends the wait). Who must answer comes from
 * the heartbeat keys; the result is `partial` when a live node did not answer within
 * `requestTimeout`, or when Redis is unreachable (this node's answer only). Answering: the same
 * questions from other nodes, answered from this node's index.
 *
 * Request/response rather than membership sets in Redis: sets would cost a Redis write on every
 * connect, join, leave and disconnect (the hot path), a copy of every membership in Redis, and a
 * clean-up after every dead node; queries are administrative and far rarer (docs/multi-node.md).
 */
export class ClusterQueries {
  constructor(
    private readonly context: RedisStoreContext,
    private readonly replies: RedisReplies,
  ) {}

  /** Members of a room on every live node (a connection id gives that connection). */
  async members(room: string): Promise<ClusterQueryResult<string[]>> {
    const members = new Set(this.localMembers(room));
    return this.ask(
      { kind: 'members', room },
      (reply) => reply.list?.forEach((id) => members.add(id)),
      () => [...members],
    );
  }

  /** Non-empty rooms of every live node. */
  async rooms(): Promise<ClusterQueryResult<string[]>> {
    const rooms = new Set(this.requireNode().index.rooms());
    return this.ask(
      { kind: 'rooms' },
      (reply) => reply.list?.forEach((room) => rooms.add(room)),
      () => [...rooms],
    );
  }

  /** Rooms of a connection: answered locally when it is here, else by its owner (whose answer ends the wait). */
  async roomsOf(connectionId: string): Promise<ClusterQueryResult<string[]>> {
    const local = this.localRoomsOf(connectionId);
    if (local !== null) return { value: local, partial: false };
    let found: readonly string[] = [];
    return this.ask(
      { kind: 'roomsOf', connectionId },
      (reply) => {
        if (reply.list) found = reply.list;
      },
      () => [...found],
      // Only the owner knows: its answer completes the query whoever else is missing.
      (reply) => reply.list !== undefined && reply.list !== null,
    );
  }

  /** Connections on every live node. */
  async connectionCount(): Promise<ClusterQueryResult<number>> {
    let count = this.localCount();
    return this.ask(
      { kind: 'count' },
      (reply) => (count += reply.count ?? 0),
      () => count,
    );
  }

  /**
   * `to(room).request()` beyond this node: one query to every node, each asks its own recipients
   * and reports; the wait is the request's timeout plus `requestTimeout` for the reports to travel.
   */
  async requestRemote(
    request: OutboundRequest,
  ): Promise<ClusterQueryResult<BroadcastRequestResult<unknown>>> {
    const replies = new Map<string, unknown>();
    const errors = new Map<string, { code: string; message: string }>();
    const missing: string[] = [];
    const { rooms, except, event, timeout } = request;
    const value = toWireValue(request.value);
    const merge = (reply: WireReplyBody) => {
      if (reply.report === undefined) return;
      for (const [who, answer] of reply.report.replies) replies.set(who, fromWireValue(answer));
      for (const [who, error] of reply.report.errors) errors.set(who, error);
      missing.push(...reply.report.missing);
    };
    const result = await this.ask(
      { kind: 'request', rooms, except, event, value, timeout },
      merge,
      () => ({ replies, errors, missing, partial: false }),
      undefined,
      timeout + this.context.options.requestTimeout,
    );
    return { value: { ...result.value, partial: result.partial }, partial: result.partial };
  }

  /** Answers another node's query from this node's index (a `request`, by asking its recipients). */
  answer(origin: string, id: number, query: WireQuery, node: LocalNode): void {
    this.context.stats.requestsAnswered++;
    if (query.kind === 'request') {
      void this.answerRequest(origin, id, query, node);
      return;
    }
    switch (query.kind) {
      case 'members':
        return this.replies.send(origin, { id, list: this.localMembers(query.room) });
      case 'rooms':
        return this.replies.send(origin, { id, list: [...node.index.rooms()] });
      case 'roomsOf':
        return this.replies.send(origin, { id, list: this.localRoomsOf(query.connectionId) });
      case 'count':
        return this.replies.send(origin, { id, count: this.localCount() });
    }
  }

  /** Asks this node's recipients of another node's `to(room).request()` and reports their answers. */
  private async answerRequest(
    origin: string,
    id: number,
    query: RequestQuery,
    node: LocalNode,
  ): Promise<void> {
    const { rooms, except, event, timeout } = query;
    try {
      const gathered = await node.requestLocally({
        rooms,
        except,
        event,
        value: fromWireValue(query.value) as EmitValue,
        timeout,
      });
      const replies = [...gathered.replies].map(
        ([who, value]) => [who, toWireValue(value)] as const,
      );
      const report = { replies, errors: [...gathered.errors], missing: gathered.missing };
      this.replies.send(origin, { id, report });
    } catch (error) {
      this.context.failure(
        'query',
        `answering a broadcast request failed: ${describeError(error)}`,
      );
    }
  }

  /**
   * One request to every node; `merge` folds each answer in, `value` reads the result. Partial when
   * a live node did not answer in time or Redis is unreachable.
   */
  private async ask<T>(
    query: WireQuery,
    merge: (reply: WireReplyBody) => void,
    value: () => T,
    isFinal?: (reply: WireReplyBody) => boolean,
    timeout = this.context.options.requestTimeout,
  ): Promise<ClusterQueryResult<T>> {
    this.requireNode();
    const { context } = this;
    context.stats.queries++;
    const client = context.client();
    if (!context.running() || client === null || client.status !== 'ready') {
      context.stats.partialQueries++;
      return { value: value(), partial: true };
    }
    const id = this.replies.newId();
    const request = encodeRequest(context.nodeId, id, query);
    if (request.length > context.limits.maxMessageBytes) {
      refuseOverLimits(context, `a ${query.kind} query of ${request.length} bytes`);
      context.stats.partialQueries++;
      return { value: value(), partial: true };
    }
    const collector = this.replies.collect(id, isFinal, timeout);
    const sent = client.publish(context.keys.requests, request);
    context.liveNodes().then(
      (live) => collector.expectNodes(live.filter((nodeId) => nodeId !== context.nodeId)),
      (error: unknown) => {
        context.failure('query', `reading the live nodes failed: ${describeError(error)}`);
        collector.abort();
      },
    );
    try {
      await sent;
    } catch (error) {
      context.failure('query', `query failed: ${describeError(error)}`);
      collector.abort();
    }
    const gathered = await collector.result;
    for (const reply of gathered.answers.values()) merge(reply);
    if (!gathered.complete) context.stats.partialQueries++;
    return { value: value(), partial: !gathered.complete };
  }

  /** A connection id's only member is the connection; a room's are in the index. */
  private localMembers(name: string): string[] {
    const node = this.requireNode();
    if (node.isConnectionId(name)) return node.hasConnection(name) ? [name] : [];
    return [...node.index.membersOf(name)];
  }

  private localRoomsOf(connectionId: string): string[] | null {
    const node = this.requireNode();
    return node.hasConnection(connectionId) ? [...node.index.roomsOf(connectionId)] : null;
  }

  private localCount(): number {
    let count = 0;
    for (const _id of this.requireNode().connectionIds()) count++;
    return count;
  }

  private requireNode(): LocalNode {
    const node = this.context.node();
    if (node === null) throw new Error('RedisRoomStore used before start() or after close()');
    return node;
  }
}
