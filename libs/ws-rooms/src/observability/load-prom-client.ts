import { WsRoomsMetricsError, WsRoomsMetricsErrorCode } from './metrics.error';

/** The parts of `prom-client` the exporter uses. */
export type PromClient = Pick<typeof import('prom-client'), 'Registry' | 'Gauge' | 'Counter'>;

/**
 * Loads `prom-client` when the `metrics` option is on, never when `ws-rooms` itself is loaded: apps
 * without metrics do not need the package installed.
 * @throws WsRoomsMetricsError `WS_ROOMS_METRICS_MISSING_DEPENDENCY`
 */
export function loadPromClient(): PromClient {
  let loaded: Partial<PromClient>;
  try {
    // A lazy require on purpose: an `import` would make prom-client a hard dependency of the core.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('prom-client') as Partial<PromClient>;
  } catch (error) {
    throw new WsRoomsMetricsError(
      WsRoomsMetricsErrorCode.MissingDependency,
      'ws-rooms: the "metrics" option needs the "prom-client" package (npm install prom-client@15); ' +
        'or turn it off with metrics: false',
      { cause: error },
    );
  }
  const { Registry, Gauge, Counter } = loaded;
  if (
    typeof Registry !== 'function' ||
    typeof Gauge !== 'function' ||
    typeof Counter !== 'function'
  ) {
    throw new WsRoomsMetricsError(
      WsRoomsMetricsErrorCode.MissingDependency,
      'ws-rooms: the installed "prom-client" does not export Registry, Gauge and Counter; the "metrics" option needs prom-client 15',
    );
  }
  return { Registry, Gauge, Counter };
}
