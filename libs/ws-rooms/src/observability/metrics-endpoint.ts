import type { Logger } from '@nestjs/common';
import { describeError } from '../util/describe-error';
import { type RouteAdapter, replyText } from './http-response';
import { loadPromClient, type PromClient } from './load-prom-client';
import { MetricsExporter } from './metrics-exporter';
import { WsRoomsMetricsError, WsRoomsMetricsErrorCode } from './metrics.error';
import type { ResolvedMetricsOptions } from './observability-options';
import type { StatsSource } from './stats-snapshot';

/** Exporters by HTTP adapter, then by path: endpoints that name the same path share one. */
const exporters = new WeakMap<object, Map<string, MetricsExporter>>();
/** Paths already routed on an adapter (a route cannot be removed from Express or Fastify). */
const routed = new WeakMap<object, Set<string>>();

/**
 * Exports an endpoint's counters at `options.path` of the app's HTTP server, through the app's HTTP
 * adapter. Loads `prom-client` on first use. Returns the function that stops exporting them; the
 * metrics leave the registry with the last endpoint of the path.
 * @throws WsRoomsMetricsError `WS_ROOMS_METRICS_MISSING_DEPENDENCY` without prom-client;
 *   `WS_ROOMS_METRICS_CONFLICT` when the path is already served with another prefix or registry.
 */
export function serveMetrics(
  adapter: RouteAdapter,
  options: ResolvedMetricsOptions,
  source: StatsSource,
  logger: Logger,
  load: () => PromClient = loadPromClient,
): () => void {
  let byPath = exporters.get(adapter);
  if (byPath === undefined) {
    byPath = new Map();
    exporters.set(adapter, byPath);
  }
  let exporter = byPath.get(options.path);
  if (exporter === undefined) {
    exporter = new MetricsExporter(load(), options.metricNamePrefix, options.registry);
    byPath.set(options.path, exporter);
  } else if (
    exporter.metricNamePrefix !== options.metricNamePrefix ||
    (options.registry !== undefined && options.registry !== exporter.registry)
  ) {
    throw new WsRoomsMetricsError(
      WsRoomsMetricsErrorCode.Conflict,
      `ws-rooms: endpoints serving metrics at ${options.path} must use the same "metrics.metricNamePrefix" and "metrics.registry"`,
    );
  }
  exporter.add(source);
  routeOnce(adapter, options.path, logger);
  const shared = exporter;
  const paths = byPath;
  return () => {
    if (!shared.remove(source)) return;
    shared.close();
    if (paths.get(options.path) === shared) paths.delete(options.path);
  };
}

function routeOnce(adapter: RouteAdapter, path: string, logger: Logger): void {
  let paths = routed.get(adapter);
  if (paths === undefined) {
    paths = new Set();
    routed.set(adapter, paths);
  }
  if (paths.has(path)) return;
  paths.add(path);
  adapter.get(path, (_request: unknown, response: unknown) => {
    const exporter = exporters.get(adapter)?.get(path);
    if (exporter === undefined) {
      replyText(adapter, response, 404, 'text/plain; charset=utf-8', 'Not Found');
      return;
    }
    exporter.scrape().then(
      ({ contentType, body }) =>
        replyText(adapter, response, 200, contentType, body, { 'Cache-Control': 'no-store' }),
      (error: unknown) => {
        logger.error(`metrics scrape failed: ${describeError(error)}`);
        replyText(adapter, response, 500, 'text/plain; charset=utf-8', 'metrics collection failed');
      },
    );
  });
}
