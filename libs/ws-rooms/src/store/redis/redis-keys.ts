/**
 * The names of every channel and key the Redis store uses, in one place, so that the layout in
 * `docs/multi-node.md` can be checked against one file. Everything starts with the `keyPrefix`
 * option and a `:`, then a fixed word that says what the name holds, then `:` and a variable part
 * of one kind only (a room, a connection id, a node id, a token). Two names of different kinds can
 * therefore never be spelled alike, whatever a room is called: a room named like a connection id
 * has its own channel, which the connection does not listen to.
 *
 * On a Redis Cluster (`cluster` true) the variable part, with its word, is a hash tag
 * (`<keyPrefix>:{room:<name>}`): every key and channel of one room (its channel, its presence hash
 * and version) is in one slot, so a script touching them runs on one shard, and rooms spread over
 * the shards. The heartbeats and the node set share the tag `{nodes}`: liveness is read in one slot.
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
  /** Presence: the hash of a room's members is this prefix plus the room name (standalone only). */
  readonly presencePrefix: string;
  /** Presence: the version counter of a room is this prefix plus the room name (standalone only). */
  readonly presenceVersionPrefix: string;
  private readonly name: (word: string, variable: string) => string;

  /**
   * @param keyPrefix the namespace
   * @param cluster true for the layout of a Redis Cluster (hash tags), false for standalone Redis
   */
  constructor(
    readonly keyPrefix: string,
    readonly cluster = false,
  ) {
    this.name = cluster
      ? (word, variable) => `${keyPrefix}:{${word}:${variable}}`
      : (word, variable) => `${keyPrefix}:${word}:${variable}`;
    const fixed = (word: string) => (cluster ? `${keyPrefix}:{${word}}` : `${keyPrefix}:${word}`);
    this.all = fixed('all');
    this.requests = fixed('req');
    this.nodes = fixed('nodes');
    // On a cluster the recovery log is one slot, `{log}`: its scripts read and write all of it.
    this.logged = cluster ? `${keyPrefix}:{log}:logged` : fixed('logged');
    this.log = fixed('log');
    this.logOffset = cluster ? `${keyPrefix}:{log}:offset` : fixed('log-offset');
    this.presencePrefix = `${keyPrefix}:presence:`;
    this.presenceVersionPrefix = `${keyPrefix}:presence-version:`;
  }

  /** Presence: the hash of a room's members (field: connection id). */
  presence(room: string): string {
    return this.name('presence', room);
  }

  /** Presence: the room's version counter (in the room's slot on a cluster). */
  presenceVersion(room: string): string {
    return this.cluster
      ? `${this.name('presence', room)}:version`
      : this.name('presence-version', room);
  }

  /** Presence: the set of rooms in which a node recorded members (read when the node dies). */
  presenceRooms(nodeId: string): string {
    // On a cluster, in the node set's slot: the script that forgets a dead node reads both.
    return this.cluster
      ? `${this.nodes}:presence-rooms:${nodeId}`
      : this.name('presence-rooms', nodeId);
  }

  /** Recovery: a suspended session (a string with a TTL). */
  session(token: string): string {
    // On a cluster in the log's slot: taking a session back checks the log in the same script.
    return this.cluster ? `${this.log}:session:${token}` : this.name('session', token);
  }

  /** The channel of one room: only nodes with a local member of it subscribe. */
  room(name: string): string {
    return this.name('room', name);
  }

  /**
   * The channel of one connection: `to(id)` and the commands for it (join, leave, disconnect,
   * takeover). Only the node that holds the connection subscribes.
   */
  connection(connectionId: string): string {
    return this.name('conn', connectionId);
  }

  /** The channel on which a node receives the answers to its own requests. */
  replies(nodeId: string): string {
    return this.name('res', nodeId);
  }

  /** The heartbeat key of a node (a string with a TTL; in the node set's slot on a cluster). */
  node(nodeId: string): string {
    return this.cluster ? `${this.nodes}:node:${nodeId}` : this.name('node', nodeId);
  }

  /**
   * Cluster only: the `index`-th shard channel of {@link all}. A node-wide broadcast goes to one of
   * them with its body and to the others as a fence, one per shard (see `sharded-order.ts`).
   */
  allShard(index: number): string {
    return this.name('all', String(index));
  }
}
