/**
 * Counters of one endpoint, cumulative since start-up except `connections` and `rooms`. Read them
 * through `ConnectionsService.stats()`; they are what the metrics exporter and the dashboard show.
 */
export interface WsRoomsStats {
  /** Live connections on this node. */
  connections: number;
  /** Non-empty rooms on this node (own-id rooms not counted). */
  readonly rooms: number;
  /** Connections accepted since start-up. */
  connectionsOpened: number;
  /** Upgrades refused (origin, authentication, guards, capacity, id, shutdown). */
  upgradesRefused: number;
  /** {@link WsRoomsStats.upgradesRefused} by reason; the reasons add up to it. */
  upgradesRefusedByReason: Record<UpgradeRefusalReason, number>;
  /** Data messages received. */
  messagesIn: number;
  /** Frames queued for sending: one per recipient of a broadcast, one per direct send. */
  messagesOut: number;
  /** Bytes received in data messages. */
  bytesIn: number;
  /** Bytes of the frames counted in `messagesOut`, headers included, before any compression. */
  bytesOut: number;
  /** Event messages with no handler (ignored as the protocol says). */
  unhandledEvents: number;
  /** Malformed event messages (reported to the sender). */
  malformedMessages: number;
  /** Handler errors reported to senders. */
  handlerErrors: number;
  /**
   * Errors reported to clients (`ws-rooms:error` events and failed replies), by their stable code,
   * e.g. `WS_ROOMS_MALFORMED_MESSAGE`. Codes that never occurred are absent.
   */
  errorsByCode: Record<string, number>;
  /** Connections cut because they did not read fast enough. */
  slowConsumerCuts: number;
  /** Connections terminated for not answering pings. */
  pongTimeouts: number;
  /** Volatile frames dropped for backed-up connections. */
  volatileDrops: number;
  /** Messages and pings dropped for exceeding the message rate (the connection stays). */
  messagesRefused: number;
  /** Connections closed (1013) for flooding on past the message rate. */
  rateLimitCuts: number;
}

/**
 * Why an upgrade was refused: `unavailable` (not started or shutting down, 503), `capacity`
 * (`maxConnections` / `maxConnectionsPerAddress`, 503; `maxConnectionRatePerAddress`, 429),
 * `origin` (the origin policy or `allowedHosts`, 403), `auth` (`authenticate`),
 * `guard` (a handshake guard), `id` (`idGenerator`, 500), `timeout` (the checks did not finish
 * within `handshakeTimeout`, 408), `error` (an unexpected failure, 500).
 */
export type UpgradeRefusalReason =
  'unavailable' | 'capacity' | 'origin' | 'auth' | 'guard' | 'id' | 'timeout' | 'error';

/** Every {@link UpgradeRefusalReason}, in a stable order. */
export const UPGRADE_REFUSAL_REASONS: readonly UpgradeRefusalReason[] = Object.freeze([
  'unavailable',
  'capacity',
  'origin',
  'auth',
  'guard',
  'id',
  'timeout',
  'error',
]);

/**
 * A fresh set of zeroed counters. `rooms` is read from `index` when asked for (a getter), so
 * joins and leaves cost nothing more.
 */
export function createStats(index?: { readonly roomCount: number }): WsRoomsStats {
  const stats = {
    connections: 0,
    rooms: 0,
    connectionsOpened: 0,
    upgradesRefused: 0,
    upgradesRefusedByReason: Object.fromEntries(
      UPGRADE_REFUSAL_REASONS.map((reason) => [reason, 0]),
    ) as Record<UpgradeRefusalReason, number>,
    messagesIn: 0,
    messagesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    unhandledEvents: 0,
    malformedMessages: 0,
    handlerErrors: 0,
    // No prototype: a code is a key and nothing else (`__proto__` included).
    errorsByCode: Object.create(null) as Record<string, number>,
    slowConsumerCuts: 0,
    pongTimeouts: 0,
    volatileDrops: 0,
    messagesRefused: 0,
    rateLimitCuts: 0,
  };
  if (index !== undefined) {
    Object.defineProperty(stats, 'rooms', { enumerable: true, get: () => index.roomCount });
  }
  return stats;
}

/** Adds one error of `code` to {@link WsRoomsStats.errorsByCode}. */
export function countError(stats: WsRoomsStats, code: string): void {
  stats.errorsByCode[code] = (stats.errorsByCode[code] ?? 0) + 1;
}
