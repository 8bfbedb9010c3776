import { Logger } from '@nestjs/common';
import * as promClient from 'prom-client';
import { createStats } from '../server/server-stats';
import type { RouteAdapter } from './http-response';
import type { PromClient } from './load-prom-client';
import { serveMetrics } from './metrics-endpoint';
import { WsRoomsMetricsError, WsRoomsMetricsErrorCode } from './metrics.error';
import type { ResolvedMetricsOptions } from './observability-options';
import type { StatsSource } from './stats-snapshot';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** An HTTP adapter that records routes and answers, as Express or Fastify would serve them. */
class FakeAdapter {
  readonly routes = new Map<string, (request: unknown, response: unknown) => void>();
  readonly routeCalls: string[] = [];

  get(path: string, handler: (request: unknown, response: unknown) => void): void {
    this.routeCalls.push(path);
    this.routes.set(path, handler);
  }

  setHeader(response: Answer, name: string, value: string): void {
    response.headers[name.toLowerCase()] = value;
  }

  reply(response: Answer & { done(): void }, body: string, status: number): void {
    response.status = status;
    response.body = body;
    response.done();
  }

  /** Calls the route of `path` and resolves with its answer. */
  request(path: string): Promise<Answer> {
    const handler = this.routes.get(path);
    if (handler === undefined) throw new Error(`no route ${path}`);
    return new Promise((resolve) => {
      const response: Answer & { done(): void } = {
        status: 0,
        headers: {},
        body: '',
        done: () => resolve(response),
      };
      handler({ headers: {} }, response);
    });
  }
}

const logger = new Logger('test');
const options = (overrides: Partial<ResolvedMetricsOptions> = {}): ResolvedMetricsOptions => ({
  path: '/metrics',
  metricNamePrefix: 'ws_rooms_',
  registry: undefined,
  ...overrides,
});
const endpoint = (name: string): StatsSource => ({ name, stats: createStats() });

describe('serveMetrics', () => {
  afterEach(() => jest.restoreAllMocks());

  it('serves the metrics of every endpoint that names the path, from one route', async () => {
    const adapter = new FakeAdapter();
    const load = jest.fn((): PromClient => promClient);
    const stopChat = serveMetrics(
      adapter as unknown as RouteAdapter,
      options(),
      endpoint('chat'),
      logger,
      load,
    );
    const stopAdmin = serveMetrics(
      adapter as unknown as RouteAdapter,
      options(),
      endpoint('admin'),
      logger,
      load,
    );
    expect(adapter.routeCalls).toEqual(['/metrics']);
    expect(load).toHaveBeenCalledTimes(1);

    const answer = await adapter.request('/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe(promClient.Registry.PROMETHEUS_CONTENT_TYPE);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.body).toContain('ws_rooms_connections{endpoint="chat"} 0');
    expect(answer.body).toContain('ws_rooms_connections{endpoint="admin"} 0');

    stopChat();
    expect((await adapter.request('/metrics')).body).not.toContain('endpoint="chat"');
    stopAdmin();
    // The route stays (it cannot be removed from the router) but has nothing to serve.
    expect((await adapter.request('/metrics')).status).toBe(404);
  });

  it('refuses a second endpoint on the path with another metricNamePrefix or registry', () => {
    const adapter = new FakeAdapter() as unknown as RouteAdapter;
    const stop = serveMetrics(adapter, options(), endpoint('chat'), logger, () => promClient);
    const conflict = expect.objectContaining({ code: WsRoomsMetricsErrorCode.Conflict });
    expect(() =>
      serveMetrics(
        adapter,
        options({ metricNamePrefix: 'other_' }),
        endpoint('a'),
        logger,
        () => promClient,
      ),
    ).toThrow(conflict);
    const registry = new promClient.Registry();
    expect(() =>
      serveMetrics(adapter, options({ registry }), endpoint('b'), logger, () => promClient),
    ).toThrow(conflict);
    stop();
  });

  it('keeps separate apps (HTTP adapters) apart', async () => {
    const first = new FakeAdapter();
    const second = new FakeAdapter();
    const stopFirst = serveMetrics(
      first as unknown as RouteAdapter,
      options(),
      endpoint('one'),
      logger,
      () => promClient,
    );
    const stopSecond = serveMetrics(
      second as unknown as RouteAdapter,
      options(),
      endpoint('two'),
      logger,
      () => promClient,
    );
    expect((await first.request('/metrics')).body).not.toContain('endpoint="two"');
    expect((await second.request('/metrics')).body).not.toContain('endpoint="one"');
    stopFirst();
    stopSecond();
  });

  it('answers 500 and logs when a scrape fails', async () => {
    const adapter = new FakeAdapter();
    const registry = new promClient.Registry();
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const stop = serveMetrics(
      adapter as unknown as RouteAdapter,
      options({ registry }),
      endpoint('chat'),
      logger,
      () => promClient,
    );
    jest.spyOn(registry, 'metrics').mockRejectedValue(new Error('collector exploded'));
    const answer = await adapter.request('/metrics');
    expect([answer.status, answer.body]).toEqual([500, 'metrics collection failed']);
    expect(error).toHaveBeenCalledWith(expect.stringContaining('collector exploded'));
    stop();
  });

  it('lets the loader error through, typed', () => {
    const adapter = new FakeAdapter();
    const missing = new WsRoomsMetricsError(WsRoomsMetricsErrorCode.MissingDependency, 'missing');
    expect(() =>
      serveMetrics(adapter as unknown as RouteAdapter, options(), endpoint('chat'), logger, () => {
        throw missing;
      }),
    ).toThrow(missing);
    expect(adapter.routeCalls).toEqual([]);
  });
});
