import type { IncomingMessage } from 'node:http';
import type { PromRegistry as Registry } from './load-prom-client';
import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import { renamedOption } from '../options/renamed-option';

/** The `metrics` option: a Prometheus endpoint fed from the endpoint's counters. */
export interface MetricsOptions {
  /**
   * HTTP path of the scrape endpoint (`GET`). Endpoints that give the same path share it: their
   * series are told apart by the `endpoint` label.
   * @default '/metrics'
   */
  path?: string;
  /**
   * The `prom-client` registry the metrics are registered in and that the path serves, e.g. the
   * app's own registry so that one scrape returns everything. Endpoints sharing a path must share it.
   * @default a registry of its own (prom-client's global registry is left alone)
   */
  registry?: Registry;
  /**
   * Text put before every metric name (`<metricNamePrefix>connections`, ...); it must itself be a
   * valid start of a Prometheus metric name.
   * @default 'ws_rooms_'
   */
  metricNamePrefix?: string;
  /**
   * The former name of {@link MetricsOptions.metricNamePrefix}, still accepted. Giving both with
   * different values fails the start-up with `WS_ROOMS_INVALID_OPTION`.
   * @deprecated use `metricNamePrefix` (the same setting under a name that cannot be mistaken for
   * the endpoint's `messagePrefix`)
   */
  prefix?: string;
}

/** Decides whether an HTTP request may see the dashboard (its page and its websocket feed). */
export type DashboardAuthorize = (request: IncomingMessage) => boolean | Promise<boolean>;

/** The `dashboard` option: a live page of connections, rooms and message rates. */
export interface DashboardOptions {
  /**
   * HTTP path of the page. Its script is served at `<path>/dashboard.js` and its live feed is a
   * websocket endpoint at `<path>/ws`.
   * @default '/ws-rooms/dashboard'
   */
  path?: string;
  /**
   * Called with every request for the page, its script and its websocket feed; anything but
   * `true` is refused with 403 (a throw too). The feed is also subject to the endpoint's origin
   * policy (`allowedOrigins` / `checkOrigin`). Room names and connection counts are business data:
   * protect the page as you protect the endpoint.
   * @default only requests from the loopback interface (127.0.0.0/8, ::1). Behind a reverse proxy
   *   on the same host every request comes from loopback: set `authorize` there.
   */
  authorize?: DashboardAuthorize;
}

/** `metrics` once defaults are applied. */
export interface ResolvedMetricsOptions {
  readonly path: string;
  readonly registry: Registry | undefined;
  readonly metricNamePrefix: string;
}

/** `dashboard` once defaults are applied; `authorize` stays undefined when not given (loopback only). */
export interface ResolvedDashboardOptions {
  readonly path: string;
  readonly authorize: DashboardAuthorize | undefined;
}

/** The default of `metrics.path`. */
export const DEFAULT_METRICS_PATH = '/metrics';
/** The default of `metrics.metricNamePrefix`. */
export const DEFAULT_METRICS_PREFIX = 'ws_rooms_';
/** The default of `dashboard.path`. */
export const DEFAULT_DASHBOARD_PATH = '/ws-rooms/dashboard';

// Plain path segments only: the path is handed to the app's router (Express, Fastify), where `:`,
// `*` or `(` would turn it into a pattern.
const ROUTE_PATH = /^(\/[A-Za-z0-9._~-]+)+$/;
const METRIC_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** The paths an endpoint already uses, which the observability routes must not take. */
export interface TakenPaths {
  readonly endpoint: string;
  readonly clientScriptPath: string | false;
}

/**
 * Validates the `metrics` option and applies its defaults.
 * @throws WsRoomsError `WS_ROOMS_INVALID_OPTION`
 */
export function resolveMetricsOptions(
  metrics: false | MetricsOptions | undefined,
  taken: TakenPaths,
): ResolvedMetricsOptions | false {
  if (metrics === undefined || metrics === false) return false;
  if (typeof metrics !== 'object' || metrics === null) fail('"metrics" must be false or an object');
  const path = routePath('metrics.path', metrics.path ?? DEFAULT_METRICS_PATH);
  if (path === taken.clientScriptPath || path === taken.endpoint) {
    fail(
      `"metrics.path" ${JSON.stringify(path)} is already used by the endpoint or its client script`,
    );
  }
  const { key, value: metricNamePrefix = DEFAULT_METRICS_PREFIX } = renamedOption(
    'metrics.metricNamePrefix',
    metrics.metricNamePrefix,
    'metrics.prefix',
    metrics.prefix,
  );
  if (typeof metricNamePrefix !== 'string' || !METRIC_PREFIX.test(metricNamePrefix)) {
    fail(`"${key}" must match ${METRIC_PREFIX}, got ${JSON.stringify(metricNamePrefix)}`);
  }
  const { registry } = metrics;
  if (
    registry !== undefined &&
    (typeof registry !== 'object' ||
      registry === null ||
      typeof registry.metrics !== 'function' ||
      typeof registry.registerMetric !== 'function')
  ) {
    fail('"metrics.registry" must be a prom-client Registry');
  }
  return { path, registry, metricNamePrefix };
}

/**
 * Validates the `dashboard` option and applies its defaults.
 * @throws WsRoomsError `WS_ROOMS_INVALID_OPTION`
 */
export function resolveDashboardOptions(
  dashboard: false | DashboardOptions | undefined,
  taken: TakenPaths,
  metrics: ResolvedMetricsOptions | false,
): ResolvedDashboardOptions | false {
  if (dashboard === undefined || dashboard === false) return false;
  if (typeof dashboard !== 'object' || dashboard === null) {
    fail('"dashboard" must be false or an object');
  }
  if (taken.endpoint === '') fail('"dashboard" needs an enabled endpoint ("endpoint" is empty)');
  const path = routePath('dashboard.path', dashboard.path ?? DEFAULT_DASHBOARD_PATH);
  const used = [taken.endpoint, taken.clientScriptPath, metrics === false ? false : metrics.path];
  for (const own of Object.values(dashboardPaths(path))) {
    if (used.includes(own)) {
      fail(
        `"dashboard.path" ${JSON.stringify(path)} collides with ${JSON.stringify(own)}, already used by the endpoint, its client script or its metrics`,
      );
    }
  }
  if (dashboard.authorize !== undefined && typeof dashboard.authorize !== 'function') {
    fail('"dashboard.authorize" must be a function');
  }
  return { path, authorize: dashboard.authorize };
}

/** The paths a dashboard at `path` serves. */
export interface DashboardPaths {
  /** The page. */
  readonly page: string;
  /** The page's own script. */
  readonly script: string;
  /** The browser client, served here when the endpoint does not serve it (`clientScriptPath: false`). */
  readonly clientScript: string;
  /** The websocket feed of `stats` events. */
  readonly feed: string;
}

/** Every path a dashboard at `path` serves. */
export function dashboardPaths(path: string): DashboardPaths {
  return {
    page: path,
    script: `${path}/dashboard.js`,
    clientScript: `${path}/iris-ws.js`,
    feed: `${path}/ws`,
  };
}

function routePath(key: string, value: unknown): string {
  if (typeof value !== 'string' || !ROUTE_PATH.test(value)) {
    fail(
      `"${key}" must be a path of plain segments such as "/metrics" (letters, digits, "._~-"; no trailing "/"), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function fail(message: string): never {
  throw new WsRoomsError(WsRoomsErrorCode.InvalidOption, `ws-rooms: invalid option: ${message}`);
}
