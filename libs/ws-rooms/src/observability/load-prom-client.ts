import { WsRoomsMetricsError, WsRoomsMetricsErrorCode } from './metrics.error';

// The shapes below are written out instead of imported from `prom-client`: the declarations ws-rooms
// ships must compile for apps that do not install it (an optional peer), also with
// `skipLibCheck: false`. prom-client 15's own classes satisfy them (metrics-exporter.spec.ts passes
// the real module).

/**
 * The part of a `prom-client` `Registry` that ws-rooms uses: give the app's registry (an instance of
 * prom-client's `Registry`) as the `metrics.registry` option.
 */
export interface PromRegistry {
  /** The exposition format's content type, e.g. `text/plain; version=0.0.4; charset=utf-8`. */
  readonly contentType: string;
  /** The exposition of every metric in the registry. */
  metrics(): Promise<string>;
  /** Adds a metric (prom-client's metric constructors call it for each of their `registers`). */
  registerMetric(metric: object): void;
  /** Removes one metric by its full name. */
  removeSingleMetric(name: string): void;
}

/** Label values of one series, by label name. */
export type PromLabelValues = Partial<Record<string, string | number>>;

/** The part of a `prom-client` `Gauge` that a collect function of ws-rooms uses. */
export interface PromGauge {
  /** Drops every series. */
  reset(): void;
  /** Sets the value of the series with these labels. */
  set(labels: PromLabelValues, value: number): void;
}

/** The part of a `prom-client` `Counter` that a collect function of ws-rooms uses. */
export interface PromCounter {
  /** Drops every series. */
  reset(): void;
  /** Adds `value` to the series with these labels. */
  inc(labels: PromLabelValues, value: number): void;
}

/**
 * What ws-rooms gives a `prom-client` metric constructor: a metric read when scraped. The members
 * prom-client declares optional are optional here too, so that its own configuration types fit.
 */
export interface PromMetricConfiguration<Metric> {
  /** The metric's full name (prefix included). */
  readonly name: string;
  /** The `# HELP` text. */
  readonly help: string;
  /** The names of its labels. */
  readonly labelNames?: readonly string[];
  /** The registries it registers itself in. */
  readonly registers?: PromRegistry[];
  /** Called on every scrape, with the metric as `this`. */
  collect?(this: Metric): void;
}

/**
 * A `prom-client` metric class (`Gauge` or `Counter`) as ws-rooms constructs it; a type only (an
 * ambient declaration: nothing is exported at run time). Declared as a class, not as a `new (...)`
 * signature, on purpose: TypeScript compares a class constructor's parameters both ways, which lets
 * prom-client's classes (whose configuration names prom-client's `Registry`) stand for it without
 * ws-rooms naming prom-client's types.
 */
export declare class PromMetricClass<Metric> {
  constructor(configuration: PromMetricConfiguration<Metric>);
}

/**
 * The parts of `prom-client` the exporter uses: its `Registry`, `Gauge` and `Counter` classes.
 * `Registry` is the type of the registries it creates (prom-client's own `Registry` for the module
 * itself).
 */
export interface PromClient<Registry extends PromRegistry = PromRegistry> {
  readonly Registry: new () => Registry;
  readonly Gauge: typeof PromMetricClass<PromGauge>;
  readonly Counter: typeof PromMetricClass<PromCounter>;
}

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
