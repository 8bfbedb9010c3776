/**
 * The names of every channel and key the Redis store uses, in one place, so that the layout in
 * `docs/multi-node.md` can be checked against one file. Everything starts with the `prefix` option.
 */
export class RedisKeys {
  /** Broadcasts to every connection, or to several rooms at once: every node subscribes. */
  readonly all: string;
  /** Cluster-wide queries: every node subscribes. */
  readonly requests: string;
  /** The set of node ids that have registered a heartbeat (pruned lazily by queries). */
  readonly nodes: string;
  private readonly roomPrefix: string;
  private readonly replyPrefix: string;
  private readonly nodePrefix: string;

  constructor(readonly prefix: string) {
    this.all = `${prefix}:all`;
    this.requests = `${prefix}:req`;
    this.nodes = `${prefix}:nodes`;
    this.roomPrefix = `${prefix}:room:`;
    this.replyPrefix = `${prefix}:res:`;
    this.nodePrefix = `${prefix}:node:`;
  }

  /**
   * The channel of one room or one connection id: only nodes with a local member (or the
   * connection itself) subscribe.
   */
  room(name: string): string {
    return this.roomPrefix + name;
  }

  /** The channel on which a node receives the answers to its own requests. */
  replies(nodeId: string): string {
    return this.replyPrefix + nodeId;
  }

  /** The heartbeat key of a node (a string with a TTL). */
  node(nodeId: string): string {
    return this.nodePrefix + nodeId;
  }
}
