/**
 * Counters of one endpoint, cumulative since start-up except `connections`. Read them through
 * `ConnectionsService.stats()`; they are what a metrics exporter scrapes.
 */
export interface WsRoomsStats {
  /** Live connections on this node. */
  connections: number;
  /** Connections accepted since start-up. */
  connectionsOpened: number;
  /** Upgrades refused (origin, path, id, shutdown). */
  upgradesRefused: number;
  /** Data messages received. */
  messagesIn: number;
  /** Frames queued for sending (one per recipient). */
  messagesOut: number;
  /** Bytes received in data messages. */
  bytesIn: number;
  /** Event messages with no handler (ignored as the protocol says). */
  unhandledEvents: number;
  /** Malformed event messages (reported to the sender). */
  malformedMessages: number;
  /** Handler errors reported to senders. */
  handlerErrors: number;
  /** Connections cut because they did not read fast enough. */
  slowConsumerCuts: number;
  /** Connections terminated for not answering pings. */
  pongTimeouts: number;
  /** Volatile frames dropped for backed-up connections. */
  volatileDrops: number;
  /** Connections closed for exceeding the message rate. */
  rateLimitCuts: number;
}

/** A fresh set of zeroed counters. */
export function createStats(): WsRoomsStats {
  return {
    connections: 0,
    connectionsOpened: 0,
    upgradesRefused: 0,
    messagesIn: 0,
    messagesOut: 0,
    bytesIn: 0,
    unhandledEvents: 0,
    malformedMessages: 0,
    handlerErrors: 0,
    slowConsumerCuts: 0,
    pongTimeouts: 0,
    volatileDrops: 0,
    rateLimitCuts: 0,
  };
}
