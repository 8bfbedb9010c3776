import { WsRoomsMetricsErrorCode } from './metrics.error';

describe('loadPromClient', () => {
  afterEach(() => {
    jest.dontMock('prom-client');
    jest.resetModules();
  });

  it('returns the classes of prom-client', () => {
    const { loadPromClient } =
      jest.requireActual<typeof import('./load-prom-client')>('./load-prom-client');
    const promClient = jest.requireActual<typeof import('prom-client')>('prom-client');
    expect(loadPromClient()).toEqual({
      Registry: promClient.Registry,
      Gauge: promClient.Gauge,
      Counter: promClient.Counter,
    });
  });

  it('explains what to install when prom-client is missing', () => {
    jest.isolateModules(() => {
      jest.doMock('prom-client', () => {
        throw Object.assign(new Error("Cannot find module 'prom-client'"), {
          code: 'MODULE_NOT_FOUND',
        });
      });
      const { loadPromClient } =
        jest.requireActual<typeof import('./load-prom-client')>('./load-prom-client');
      expect(() => loadPromClient()).toThrow(
        expect.objectContaining({
          name: 'WsRoomsMetricsError',
          code: WsRoomsMetricsErrorCode.MissingDependency,
          message: expect.stringContaining('npm install prom-client@15'),
          cause: expect.objectContaining({ code: 'MODULE_NOT_FOUND' }),
        }),
      );
    });
  });

  it('refuses a prom-client without the classes it needs', () => {
    jest.isolateModules(() => {
      jest.doMock('prom-client', () => ({ Registry: class {} }));
      const { loadPromClient } =
        jest.requireActual<typeof import('./load-prom-client')>('./load-prom-client');
      expect(() => loadPromClient()).toThrow(
        expect.objectContaining({
          code: WsRoomsMetricsErrorCode.MissingDependency,
          message: expect.stringContaining('needs prom-client 15'),
        }),
      );
    });
  });
});
