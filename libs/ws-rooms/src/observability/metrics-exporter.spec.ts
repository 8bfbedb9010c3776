import * as promClient from 'prom-client';
import {
  countError,
  createStats,
  UPGRADE_REFUSAL_REASONS,
  type WsRoomsStats,
} from '../server/server-stats';
import { MetricsExporter, WS_ROOMS_METRIC_NAMES } from './metrics-exporter';
import { WsRoomsMetricsErrorCode } from './metrics.error';
import type { StatsSource } from './stats-snapshot';

function source(name: string, index = { roomCount: 0 }): StatsSource & { stats: WsRoomsStats } {
  return { name, stats: createStats(index) };
}

async function values(
  exporter: MetricsExporter<InstanceType<typeof promClient.Registry>>,
  name: string,
) {
  const metric = exporter.registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`${name} is not registered`);
  return (await metric.get()).values.map(({ labels, value }) => ({ labels, value }));
}

describe('MetricsExporter', () => {
  it('registers every documented metric, with the prefix, in a registry of its own', async () => {
    const exporter = new MetricsExporter(promClient, 'ws_rooms_', undefined);
    const names = (await exporter.registry.getMetricsAsJSON()).map((metric) => metric.name);
    expect(names.sort()).toEqual(WS_ROOMS_METRIC_NAMES.map((name) => `ws_rooms_${name}`).sort());
    expect(exporter.registry).not.toBe(promClient.register);
    expect(promClient.register.getSingleMetric('ws_rooms_connections')).toBeUndefined();
  });

  it('reads the counters when scraped, one series per endpoint', async () => {
    const exporter = new MetricsExporter(promClient, 'ws_rooms_', undefined);
    const rooms = { roomCount: 4 };
    const chat = source('chat', rooms);
    const admin = source('admin');
    exporter.add(chat);
    exporter.add(admin);
    chat.stats.connections = 3;
    chat.stats.messagesIn = 10;
    chat.stats.bytesOut = 1234;
    admin.stats.messagesIn = 1;

    expect(await values(exporter, 'ws_rooms_connections')).toEqual([
      { labels: { endpoint: 'chat' }, value: 3 },
      { labels: { endpoint: 'admin' }, value: 0 },
    ]);
    expect(await values(exporter, 'ws_rooms_rooms')).toEqual([
      { labels: { endpoint: 'chat' }, value: 4 },
      { labels: { endpoint: 'admin' }, value: 0 },
    ]);
    expect(await values(exporter, 'ws_rooms_messages_in_total')).toEqual([
      { labels: { endpoint: 'chat' }, value: 10 },
      { labels: { endpoint: 'admin' }, value: 1 },
    ]);
    // Cumulative counters are read, not added up across scrapes.
    chat.stats.messagesIn = 11;
    rooms.roomCount = 1;
    expect((await values(exporter, 'ws_rooms_messages_in_total'))[0].value).toBe(11);
    expect((await values(exporter, 'ws_rooms_rooms'))[0].value).toBe(1);
    expect((await values(exporter, 'ws_rooms_bytes_out_total'))[0].value).toBe(1234);
  });

  it('labels refusals by reason (zeros included) and errors by code', async () => {
    const exporter = new MetricsExporter(promClient, 'ws_rooms_', undefined);
    const chat = source('chat');
    exporter.add(chat);
    chat.stats.upgradesRefusedByReason.capacity = 2;
    countError(chat.stats, 'WS_ROOMS_JSON_TOO_DEEP');

    const refusals = await values(exporter, 'ws_rooms_upgrades_refused_total');
    expect(refusals).toHaveLength(UPGRADE_REFUSAL_REASONS.length);
    expect(refusals).toContainEqual({ labels: { endpoint: 'chat', reason: 'capacity' }, value: 2 });
    expect(refusals).toContainEqual({ labels: { endpoint: 'chat', reason: 'origin' }, value: 0 });
    expect(await values(exporter, 'ws_rooms_errors_total')).toEqual([
      { labels: { endpoint: 'chat', code: 'WS_ROOMS_JSON_TOO_DEEP' }, value: 1 },
    ]);
  });

  it('serves the text exposition with its content type', async () => {
    const exporter = new MetricsExporter(promClient, 'chat_', undefined);
    const chat = source('default');
    chat.stats.messagesOut = 42;
    exporter.add(chat);
    const { contentType, body } = await exporter.scrape();
    expect(contentType).toBe(promClient.Registry.PROMETHEUS_CONTENT_TYPE);
    expect(body).toContain('# TYPE chat_messages_out_total counter');
    expect(body).toContain('chat_messages_out_total{endpoint="default"} 42');
    expect(body).toContain('# TYPE chat_connections gauge');
  });

  it('stops exporting a removed endpoint, and says when none is left', async () => {
    const exporter = new MetricsExporter(promClient, 'ws_rooms_', undefined);
    const chat = source('chat');
    const admin = source('admin');
    exporter.add(chat);
    exporter.add(admin);
    expect(exporter.remove(chat)).toBe(false);
    expect((await values(exporter, 'ws_rooms_connections')).map((v) => v.labels)).toEqual([
      { endpoint: 'admin' },
    ]);
    expect(exporter.remove(admin)).toBe(true);
    expect(await values(exporter, 'ws_rooms_connections')).toEqual([]);
  });

  it('leaves a given registry as it found it on close', async () => {
    const registry = new promClient.Registry();
    new promClient.Gauge({ name: 'app_queue_depth', help: 'Depth.', registers: [registry] });
    const exporter = new MetricsExporter(promClient, 'ws_rooms_', registry);
    expect(exporter.registry).toBe(registry);
    expect((await registry.getMetricsAsJSON()).length).toBe(WS_ROOMS_METRIC_NAMES.length + 1);
    exporter.close();
    expect((await registry.getMetricsAsJSON()).map((metric) => metric.name)).toEqual([
      'app_queue_depth',
    ]);
    // Registered again without a clash.
    new MetricsExporter(promClient, 'ws_rooms_', registry).close();
  });

  it('refuses a registry that already holds one of its names, and registers nothing then', async () => {
    const registry = new promClient.Registry();
    new promClient.Counter({ name: 'ws_rooms_errors_total', help: 'Mine.', registers: [registry] });
    expect(() => new MetricsExporter(promClient, 'ws_rooms_', registry)).toThrow(
      expect.objectContaining({
        name: 'WsRoomsMetricsError',
        code: WsRoomsMetricsErrorCode.Conflict,
        message: expect.stringContaining('metrics.metricNamePrefix'),
      }),
    );
    expect((await registry.getMetricsAsJSON()).map((metric) => metric.name)).toEqual([
      'ws_rooms_errors_total',
    ]);
  });
});
