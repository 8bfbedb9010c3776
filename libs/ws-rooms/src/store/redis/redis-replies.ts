import { describeError } from '../../util/describe-error';
import { ReplyCollector } from './reply-collector';
import { type RedisStoreContext, refuseOverLimits } from './redis-store-context';
import { encodeReply, type WireReplyBody } from './redis-wire';

/**
 * Answers between nodes, both ways: the collectors waiting for answers to this node's requests and
 * commands (by request id), and the answers this node sends on an asker's reply channel
 * (`<keyPrefix>:res:<nodeId>`). An answer to an id nobody waits for (late, or made up) is ignored.
 */
export class RedisReplies {
  private readonly pending = new Map<number, ReplyCollector<WireReplyBody>>();
  private nextId = 1;

  constructor(private readonly context: RedisStoreContext) {}

  /** A fresh request id: unique on this node, which is all an answer needs (it comes back here). */
  newId(): number {
    return this.nextId++;
  }

  /**
   * Waits for the answers to request `id` (see {@link ReplyCollector}); forgotten once it resolves.
   * `isFinal` marks an answer that ends the wait at once.
   */
  collect(
    id: number,
    isFinal?: (reply: WireReplyBody) => boolean,
    timeout = this.context.options.requestTimeout,
  ): ReplyCollector<WireReplyBody> {
    const collector = new ReplyCollector<WireReplyBody>(timeout, isFinal, () =>
      this.pending.delete(id),
    );
    this.pending.set(id, collector);
    return collector;
  }

  /** An answer from another node arrived. */
  received(nodeId: string, reply: WireReplyBody): void {
    this.pending.get(reply.id)?.add(nodeId, reply);
  }

  /** Resolves every pending wait as incomplete (the store is closing). */
  abortAll(): void {
    for (const collector of [...this.pending.values()]) collector.abort();
  }

  /**
   * Sends an answer to the node that asked. Not sent when it would break the wire limits (the asker
   * would drop it): the asker then times out and answers partially.
   */
  send(origin: string, body: WireReplyBody): void {
    const { context } = this;
    const client = context.client();
    if (client === null || client.status !== 'ready') return;
    const data = encodeReply(context.nodeId, body);
    if (data.length > context.limits.maxMessageBytes) {
      return refuseOverLimits(context, `an answer of ${data.length} bytes`);
    }
    client.publish(context.keys.replies(origin), data).catch((error: unknown) => {
      context.failure('reply', `reply failed: ${describeError(error)}`);
    });
  }
}
