/** Stable codes of {@link WsRoomsMetricsError}. */
export const WsRoomsMetricsErrorCode = {
  /** The `metrics` option is on and the `prom-client` package cannot be loaded. */
  MissingDependency: 'WS_ROOMS_METRICS_MISSING_DEPENDENCY',
  /**
   * Two endpoints serve metrics on one path with a different `prefix` or `registry`, or a metric
   * name is already registered in the given registry.
   */
  Conflict: 'WS_ROOMS_METRICS_CONFLICT',
} as const;

/** One of the values of {@link WsRoomsMetricsErrorCode}. */
export type WsRoomsMetricsErrorCode =
  (typeof WsRoomsMetricsErrorCode)[keyof typeof WsRoomsMetricsErrorCode];

/** The error the metrics exporter raises; `code` is stable. Raised at start-up only, never per scrape. */
export class WsRoomsMetricsError extends Error {
  override readonly name = 'WsRoomsMetricsError';

  constructor(
    /** Stable code, see {@link WsRoomsMetricsErrorCode}. */
    readonly code: WsRoomsMetricsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
