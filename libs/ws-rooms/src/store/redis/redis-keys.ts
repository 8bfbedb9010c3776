/**
 * The names of every channel and key the Redis store uses, in one place, so that the layout in
 * `docs/multi-node.md` can be checked against one file. Everything starts with the `keyPrefix`
 * option and a `:`, then a fixed word that says what the name holds, then `:` and a variable part
 * of one kind only (a room, a connection id, a node id, a token). Two names of different kinds can
 * therefore never be spelled alike, whatever a room is called: a room named like a connection id
 * has its own channel, which the connection does not listen to.
 */
export class RedisKeys {
  /** Broadcasts to every connection, or to several rooms at once: every node subscribes. */
  readonly all: string;
  /** Cluster-wide queries: every node subscribes. */
  readonly requests: string;
  /** The set of node ids that have registered a heartbeat (pruned lazily by queries). */
  readonly nodes: string;
  /** Recovery: logged broadcasts, each with its offset; every node subscribes (with recovery on). */
  readonly logged: string;
  /** Recovery: the stream of logged broadcasts (entry id `<offset>-0`), bounded by count and age. */
  readonly log: string;
  /** Recovery: the counter that numbers logged broadcasts. */
  readonly logOffset: string;
  /** Presence: the hash of a room's members is this prefix plus the room name. */
  readonly presencePrefix: string;
  /** Presence: the version counter of a room is this prefix plus the room name. */
  readonly presenceVersionPrefix: string;
  private readonly roomPrefix: string;
  private readonly connectionPrefix: string;
  private readonly replyPrefix: string;
  private readonly nodePrefix: string;
  private readonly presenceNodePrefix: string;
  private readonly sessionPrefix: string;

  constructor(readonly keyPrefix: string) {
    this.all = `${keyPrefix}:all`;
    this.requests = `${keyPrefix}:req`;
    this.nodes = `${keyPrefix}:nodes`;
    this.roomPrefix = `${keyPrefix}:room:`;
    this.connectionPrefix = `${keyPrefix}:conn:`;
    this.replyPrefix = `${keyPrefix}:res:`;
    this.nodePrefix = `${keyPrefix}:node:`;
    this.logged = `${keyPrefix}:logged`;
    this.log = `${keyPrefix}:log`;
    this.logOffset = `${keyPrefix}:log-offset`;
    this.presencePrefix = `${keyPrefix}:presence:`;
    this.presenceVersionPrefix = `${keyPrefix}:presence-version:`;
    this.presenceNodePrefix = `${keyPrefix}:presence-rooms:`;
    this.sessionPrefix = `${keyPrefix}:session:`;
  }

  /** Presence: the hash of a room's members (field: connection id). */
  presence(room: string): string {
    return this.presencePrefix + room;
  }

  /** Presence: the room's version counter. */
  presenceVersion(room: string): string {
    return this.presenceVersionPrefix + room;
  }

  /** Presence: the set of rooms in which a node recorded members (read when the node dies). */
  presenceRooms(nodeId: string): string {
    return this.presenceNodePrefix + nodeId;
  }

  /** Recovery: a suspended session (a string with a TTL). */
  session(token: string): string {
    return this.sessionPrefix + token;
  }

  /** The channel of one room: only nodes with a local member of it subscribe. */
  room(name: string): string {
    return this.roomPrefix + name;
  }

  /**
   * The channel of one connection: `to(id)` and the commands for it (join, leave, disconnect,
   * takeover). Only the node that holds the connection subscribes.
   */
  connection(connectionId: string): string {
    return this.connectionPrefix + connectionId;
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
