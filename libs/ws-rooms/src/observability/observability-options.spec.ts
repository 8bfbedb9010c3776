import { Registry } from 'prom-client';
import { WsRoomsErrorCode } from '../errors/error-codes';
import { WsRoomsError } from '../errors/ws-rooms.error';
import { resolveOptions } from '../options/resolve-options';
import type { WsRoomsOptions } from '../options/ws-rooms-options.interface';
import { dashboardPaths } from './observability-options';

/** Lets a test pass what a JavaScript caller could pass. */
const untyped = (options: unknown): WsRoomsOptions => options as WsRoomsOptions;

function failureOf(options: WsRoomsOptions): string {
  try {
    resolveOptions(options);
  } catch (error) {
    expect(error).toBeInstanceOf(WsRoomsError);
    expect((error as WsRoomsError).code).toBe(WsRoomsErrorCode.InvalidOption);
    return (error as Error).message;
  }
  throw new Error('expected resolveOptions to throw');
}

describe('metrics and dashboard options', () => {
  it('are off by default', () => {
    const resolved = resolveOptions('/ws');
    expect(resolved.metrics).toBe(false);
    expect(resolved.dashboard).toBe(false);
    expect(resolveOptions({ endpoint: '/ws', metrics: false, dashboard: false })).toMatchObject({
      metrics: false,
      dashboard: false,
    });
  });

  it('apply the documented defaults', () => {
    const resolved = resolveOptions({ endpoint: '/ws', metrics: {}, dashboard: {} });
    expect(resolved.metrics).toEqual({
      path: '/metrics',
      metricNamePrefix: 'ws_rooms_',
      registry: undefined,
    });
    expect(resolved.dashboard).toEqual({ path: '/ws-rooms/dashboard', authorize: undefined });
  });

  it('keep what is given', () => {
    const registry = new Registry();
    const authorize = () => true;
    const resolved = resolveOptions({
      endpoint: '/ws',
      metrics: { path: '/internal/metrics', metricNamePrefix: 'chat_', registry },
      dashboard: { path: '/ops/live', authorize },
    });
    expect(resolved.metrics).toEqual({
      path: '/internal/metrics',
      metricNamePrefix: 'chat_',
      registry,
    });
    expect(resolved.dashboard).toEqual({ path: '/ops/live', authorize });
  });

  it.each([
    [{ metrics: 'yes' }, '"metrics" must be false or an object'],
    [{ metrics: null }, '"metrics" must be false or an object'],
    [{ metrics: { path: 'metrics' } }, '"metrics.path" must be a path of plain segments'],
    [{ metrics: { path: '/metrics/' } }, '"metrics.path" must be a path of plain segments'],
    [{ metrics: { path: '/m/:id' } }, '"metrics.path" must be a path of plain segments'],
    [{ metrics: { path: '/iris-ws.js' } }, '"metrics.path" "/iris-ws.js" is already used'],
    [{ metrics: { path: '/ws' } }, '"metrics.path" "/ws" is already used'],
    [{ metrics: { metricNamePrefix: 'ws-rooms' } }, '"metrics.metricNamePrefix" must match'],
    [{ metrics: { metricNamePrefix: '1st_' } }, '"metrics.metricNamePrefix" must match'],
    [{ metrics: { prefix: '1st_' } }, '"metrics.prefix" must match'],
    [{ metrics: { registry: {} } }, '"metrics.registry" must be a prom-client Registry'],
    [{ dashboard: true }, '"dashboard" must be false or an object'],
    [{ dashboard: { path: '/' } }, '"dashboard.path" must be a path of plain segments'],
    [{ dashboard: { path: '/ops/*' } }, '"dashboard.path" must be a path of plain segments'],
    [{ dashboard: { authorize: 'admin' } }, '"dashboard.authorize" must be a function'],
    [{ endpoint: '', dashboard: {} }, '"dashboard" needs an enabled endpoint'],
    [{ endpoint: '/live/ws', dashboard: { path: '/live' } }, 'collides with "/live/ws"'],
    [
      { metrics: { path: '/live/dashboard.js' }, dashboard: { path: '/live' } },
      'collides with "/live/dashboard.js"',
    ],
    [{ clientScriptPath: '/live', dashboard: { path: '/live' } }, 'collides with "/live"'],
  ])('rejects %j', (options, message) => {
    expect(failureOf(untyped({ endpoint: '/ws', ...options }))).toContain(message);
  });

  it('names every path of a dashboard from its own', () => {
    expect(dashboardPaths('/ops/live')).toEqual({
      page: '/ops/live',
      script: '/ops/live/dashboard.js',
      clientScript: '/ops/live/iris-ws.js',
      feed: '/ops/live/ws',
    });
  });
});
