import { UPGRADE_REFUSAL_REASONS, type WsRoomsStats } from '../server/server-stats';
import type { PromClient, PromCounter, PromGauge, PromRegistry } from './load-prom-client';
import { WsRoomsMetricsError, WsRoomsMetricsErrorCode } from './metrics.error';
import type { StatsSource } from './stats-snapshot';

type NumericStat = {
  [K in keyof WsRoomsStats]-?: WsRoomsStats[K] extends number ? K : never;
}[keyof WsRoomsStats];

/** One metric read from one counter of {@link WsRoomsStats}, labelled by endpoint. */
interface ScalarMetric {
  readonly name: string;
  readonly type: 'gauge' | 'counter';
  readonly stat: NumericStat;
  readonly help: string;
}

const SCALAR_METRICS: readonly ScalarMetric[] = [
  { name: 'connections', type: 'gauge', stat: 'connections', help: 'Live connections.' },
  {
    name: 'rooms',
    type: 'gauge',
    stat: 'rooms',
    help: 'Non-empty rooms (own-id rooms not counted).',
  },
  {
    name: 'connections_opened_total',
    type: 'counter',
    stat: 'connectionsOpened',
    help: 'Connections accepted.',
  },
  {
    name: 'messages_in_total',
    type: 'counter',
    stat: 'messagesIn',
    help: 'Data messages received.',
  },
  {
    name: 'messages_out_total',
    type: 'counter',
    stat: 'messagesOut',
    help: 'Frames queued for sending: one per broadcast recipient, one per direct send.',
  },
  {
    name: 'bytes_in_total',
    type: 'counter',
    stat: 'bytesIn',
    help: 'Bytes received in data messages.',
  },
  {
    name: 'bytes_out_total',
    type: 'counter',
    stat: 'bytesOut',
    help: 'Bytes of the frames queued for sending, before compression.',
  },
  {
    name: 'unhandled_events_total',
    type: 'counter',
    stat: 'unhandledEvents',
    help: 'Event messages no handler serves.',
  },
  {
    name: 'malformed_messages_total',
    type: 'counter',
    stat: 'malformedMessages',
    help: 'Malformed event messages.',
  },
  {
    name: 'handler_errors_total',
    type: 'counter',
    stat: 'handlerErrors',
    help: 'Handler errors reported to senders.',
  },
  {
    name: 'slow_consumer_cuts_total',
    type: 'counter',
    stat: 'slowConsumerCuts',
    help: 'Connections cut because they did not read fast enough.',
  },
  {
    name: 'pong_timeouts_total',
    type: 'counter',
    stat: 'pongTimeouts',
    help: 'Connections terminated for not answering pings.',
  },
  {
    name: 'volatile_drops_total',
    type: 'counter',
    stat: 'volatileDrops',
    help: 'Volatile frames dropped for backed-up connections.',
  },
  {
    name: 'rate_limit_cuts_total',
    type: 'counter',
    stat: 'rateLimitCuts',
    help: 'Connections closed for exceeding the message rate.',
  },
];

/**
 * Names of every metric, without the `metricNamePrefix`. Each has an `endpoint` label;
 * `upgrades_refused_total` also has `reason` and `errors_total` has `code`.
 */
export const WS_ROOMS_METRIC_NAMES: readonly string[] = Object.freeze([
  ...SCALAR_METRICS.map((metric) => metric.name),
  'upgrades_refused_total',
  'errors_total',
]);

/**
 * Prometheus metrics of one or more endpoints, collected from their counters when the registry is
 * scraped: nothing is recorded on the message path, a scrape reads a few numbers per endpoint.
 * `Registry` is the registry's type (prom-client's `Registry` when given prom-client itself).
 */
export class MetricsExporter<Registry extends PromRegistry = PromRegistry> {
  readonly registry: Registry;
  private readonly sources = new Map<string, StatsSource>();
  private readonly registered: string[] = [];

  /**
   * @throws WsRoomsMetricsError `WS_ROOMS_METRICS_CONFLICT` when a metric name is already
   *   registered in `registry` (nothing stays registered then).
   */
  constructor(
    client: PromClient<Registry>,
    readonly metricNamePrefix: string,
    registry: Registry | undefined,
  ) {
    this.registry = registry ?? new client.Registry();
    try {
      for (const metric of SCALAR_METRICS) this.addScalar(client, metric);
      this.addRefusals(client);
      this.addErrors(client);
    } catch (error) {
      this.close();
      throw new WsRoomsMetricsError(
        WsRoomsMetricsErrorCode.Conflict,
        `ws-rooms: cannot register the metrics (${(error as Error).message}); ` +
          'give this endpoint another "metrics.metricNamePrefix" or "metrics.path"',
        { cause: error },
      );
    }
  }

  /** Number of endpoints exported. */
  get size(): number {
    return this.sources.size;
  }

  /** Exports an endpoint's counters under `endpoint="<name>"`. */
  add(source: StatsSource): void {
    this.sources.set(source.name, source);
  }

  /** Stops exporting an endpoint; true when none is left. */
  remove(source: StatsSource): boolean {
    if (this.sources.get(source.name) === source) this.sources.delete(source.name);
    return this.sources.size === 0;
  }

  /** The registry's exposition, as a scrape gets it. */
  async scrape(): Promise<{ readonly contentType: string; readonly body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Removes the metrics from the registry (the app may create them again, e.g. in tests). */
  close(): void {
    for (const name of this.registered.splice(0)) this.registry.removeSingleMetric(name);
  }

  private addScalar(client: PromClient<Registry>, metric: ScalarMetric): void {
    const sources = this.sources;
    const { stat } = metric;
    const config = {
      name: this.metricNamePrefix + metric.name,
      help: metric.help,
      labelNames: ['endpoint'] as const,
      registers: [this.registry],
    };
    if (metric.type === 'gauge') {
      new client.Gauge({
        ...config,
        collect(this: PromGauge) {
          this.reset();
          for (const source of sources.values())
            this.set({ endpoint: source.name }, source.stats[stat]);
        },
      });
    } else {
      new client.Counter({
        ...config,
        collect(this: PromCounter) {
          this.reset();
          for (const source of sources.values())
            this.inc({ endpoint: source.name }, source.stats[stat]);
        },
      });
    }
    this.registered.push(config.name);
  }

  private addRefusals(client: PromClient<Registry>): void {
    const sources = this.sources;
    const name = `${this.metricNamePrefix}upgrades_refused_total`;
    new client.Counter({
      name,
      help: 'Upgrades refused, by reason (unavailable, capacity, origin, auth, guard, id, error).',
      labelNames: ['endpoint', 'reason'] as const,
      registers: [this.registry],
      collect(this: PromCounter) {
        this.reset();
        for (const source of sources.values()) {
          const byReason = source.stats.upgradesRefusedByReason;
          // Every reason, zeros included, so that rate() sees a series from its first refusal.
          for (const reason of UPGRADE_REFUSAL_REASONS)
            this.inc({ endpoint: source.name, reason }, byReason[reason]);
        }
      },
    });
    this.registered.push(name);
  }

  private addErrors(client: PromClient<Registry>): void {
    const sources = this.sources;
    const name = `${this.metricNamePrefix}errors_total`;
    new client.Counter({
      name,
      help: 'Errors reported to clients (malformed messages, handler errors), by stable code.',
      labelNames: ['endpoint', 'code'] as const,
      registers: [this.registry],
      collect(this: PromCounter) {
        this.reset();
        for (const source of sources.values()) {
          const byCode = source.stats.errorsByCode;
          for (const code in byCode) this.inc({ endpoint: source.name, code }, byCode[code]);
        }
      },
    });
    this.registered.push(name);
  }
}
