import { Logger } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { WsRoomsErrorCode } from '../errors/error-codes';
import { resolveOptions } from '../options/resolve-options';
import type { WsRoomsOptions } from '../options/ws-rooms-options.interface';
import { WsRoomsServer } from '../server/ws-rooms.server';
import { EndpointObservability } from './endpoint-observability';

function observability(options: Partial<WsRoomsOptions>): EndpointObservability {
  const server = new WsRoomsServer(resolveOptions({ endpoint: '/ws', ...options }));
  return new EndpointObservability(server, new Logger('test'));
}

function recordingAdapter(): { adapter: AbstractHttpAdapter; paths: string[] } {
  const paths: string[] = [];
  const adapter = { get: (path: string) => paths.push(path) } as unknown as AbstractHttpAdapter;
  return { adapter, paths };
}

describe('EndpointObservability', () => {
  afterEach(() => {
    jest.dontMock('prom-client');
    jest.restoreAllMocks();
  });

  it('serves nothing and loads nothing when both options are off', () => {
    jest.isolateModules(() => {
      jest.doMock('prom-client', () => {
        throw new Error('prom-client must not be loaded');
      });
      const { EndpointObservability: Isolated } = jest.requireActual<
        typeof import('./endpoint-observability')
      >('./endpoint-observability');
      const { WsRoomsServer: Server } = jest.requireActual<
        typeof import('../server/ws-rooms.server')
      >('../server/ws-rooms.server');
      const { resolveOptions: resolve } = jest.requireActual<
        typeof import('../options/resolve-options')
      >('../options/resolve-options');
      const { adapter, paths } = recordingAdapter();
      new Isolated(new Server(resolve('/ws')), new Logger('test')).serve(adapter);
      expect(paths).toEqual([]);
    });
  });

  it('routes the metrics and the dashboard through the adapter, and says where', async () => {
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const { adapter, paths } = recordingAdapter();
    const subject = observability({ metrics: {}, dashboard: { authorize: () => true } });
    subject.serve(adapter);
    expect(paths).toEqual(['/metrics', '/ws-rooms/dashboard', '/ws-rooms/dashboard/dashboard.js']);
    expect(log).toHaveBeenCalledWith('metrics served at GET /metrics');
    expect(log).toHaveBeenCalledWith(
      'dashboard served at GET /ws-rooms/dashboard (feed /ws-rooms/dashboard/ws)',
    );
    await subject.stop();
  });

  it('needs an HTTP adapter when an option is on', () => {
    expect(() => observability({ metrics: {} }).serve(undefined)).toThrow(
      expect.objectContaining({ code: WsRoomsErrorCode.InvalidOption }),
    );
    expect(() => observability({}).serve(undefined)).not.toThrow();
  });

  it('stops what never started', async () => {
    await expect(observability({ dashboard: {} }).stop()).resolves.toBeUndefined();
  });
});
