import { RedisRoomStoreErrorCode } from './redis-room-store.error';

describe('loadIoredis', () => {
  afterEach(() => jest.resetModules());

  it('returns the ioredis client class', () => {
    const { loadIoredis } = jest.requireActual<typeof import('./load-ioredis')>('./load-ioredis');
    expect(loadIoredis()).toBe(jest.requireActual<typeof import('ioredis')>('ioredis').Redis);
  });

  it('explains what to install when ioredis is missing', () => {
    jest.isolateModules(() => {
      jest.doMock('ioredis', () => {
        throw Object.assign(new Error("Cannot find module 'ioredis'"), {
          code: 'MODULE_NOT_FOUND',
        });
      });
      const { loadIoredis } = jest.requireActual<typeof import('./load-ioredis')>('./load-ioredis');
      expect(() => loadIoredis()).toThrow(
        expect.objectContaining({
          code: RedisRoomStoreErrorCode.MissingDependency,
          message: expect.stringContaining('npm install ioredis@5'),
        }),
      );
    });
  });
});
