/**
 * Counters of one {@link RedisRoomStore}, cumulative since construction except the gauges
 * `connected` and `subscriptions`. Read them as `store.stats`; a metrics exporter can scrape them.
 */
export interface RedisRoomStoreStats {
  /** Gauge: true while both Redis connections are ready. */
  connected: boolean;
  /** Gauge: channels this node's subscriber connection wants (fixed ones, rooms and connection ids). */
  subscriptions: number;
  /** Broadcasts published for other nodes (one per broadcast, whatever the number of nodes). */
  published: number;
  /** Broadcasts not published because Redis was unavailable: the other nodes missed them. */
  publishSkipped: number;
  /** Pub/sub messages this node received (every kind, echoes included). */
  received: number;
  /** Broadcasts from other nodes delivered to this node's connections. */
  delivered: number;
  /** This node's own messages that came back through a channel it listens to, ignored. */
  echoesIgnored: number;
  /**
   * Messages (and records read back: log entries, sessions, presence members) that did not decode:
   * another program on the channel, another wire version, a wrong shape. Ignored.
   */
  malformedMessages: number;
  /**
   * Messages from other nodes dropped because they broke a bound of the wire (`maxMessageBytes`,
   * names per list, a name's length, JSON depth, a number's range). Not in `malformedMessages`.
   */
  messagesOverLimits: number;
  /**
   * Broadcasts, commands and queries this node did not send because they broke such a bound (the
   * other nodes would have dropped them): a broadcast then reaches this node's members only.
   */
  publishOverLimits: number;
  /** Cluster-wide queries this node asked. */
  queries: number;
  /** Of them, answered with `partial: true`. */
  partialQueries: number;
  /** Queries of other nodes this node answered. */
  requestsAnswered: number;
  /** Commands (join/leave/disconnect) sent for connections of other nodes. */
  commandsSent: number;
  /** Commands from other nodes run on this node's connections. */
  commandsRun: number;
  /** Heartbeats written. */
  heartbeats: number;
  /** Times the connection to Redis was lost (each gap is logged once). */
  connectionLosses: number;
  /** Times both connections were ready again after a loss. */
  reconnections: number;
  /** Broadcasts this node numbered in the recovery log (recovery on). */
  logged: number;
  /** Of them, the ones Redis did not take (delivered on this node only, unlogged). */
  logFailures: number;
  /**
   * Holes in the logged broadcasts this node delivered: some were missed while its subscriber
   * reconnected and were no longer in the log when it looked (missed ones still in the log are
   * delivered late, in order, see `logCaughtUp`). Counted once per hole.
   */
  logGaps: number;
  /** Logged broadcasts delivered late, read from the log after this node missed them live. */
  logCaughtUp: number;
  /**
   * Redis Cluster: node-wide broadcasts delivered without every fence (a master was away or slow
   * beyond `requestTimeout`), or released early because what was held reached its bound; their
   * order with the origin's earlier broadcasts is not guaranteed.
   */
  fenceTimeouts: number;
}

/** Fresh counters. */
export function createRedisStoreStats(): RedisRoomStoreStats {
  return {
    connected: false,
    subscriptions: 0,
    published: 0,
    publishSkipped: 0,
    received: 0,
    delivered: 0,
    echoesIgnored: 0,
    malformedMessages: 0,
    messagesOverLimits: 0,
    publishOverLimits: 0,
    queries: 0,
    partialQueries: 0,
    requestsAnswered: 0,
    commandsSent: 0,
    commandsRun: 0,
    heartbeats: 0,
    connectionLosses: 0,
    reconnections: 0,
    logged: 0,
    logFailures: 0,
    logGaps: 0,
    logCaughtUp: 0,
    fenceTimeouts: 0,
  };
}
