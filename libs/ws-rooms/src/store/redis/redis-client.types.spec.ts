import Redis, { type RedisOptions } from 'ioredis';
import type { RedisClient, RedisConnectionOptions } from './redis-client';

/*
 * The structural types must accept what ioredis 5 hands out: these assignments are checked by
 * `tsc --noEmit` (the type-check of the repository); the test itself only shows they run.
 */
describe('RedisClient / RedisConnectionOptions (structural ioredis types)', () => {
  it('accept an ioredis client, its duplicate and an ioredis RedisOptions', () => {
    const ioredisOptions: RedisOptions = { lazyConnect: true, retryStrategy: () => 50, db: 2 };
    const options: RedisConnectionOptions = ioredisOptions;
    expect(options.retryStrategy?.(1)).toBe(50);
    const client: RedisClient = new Redis(ioredisOptions);
    const duplicate: RedisClient = client.duplicate({ connectionName: 'copy', lazyConnect: true });
    expect(client.status).toBe('wait');
    expect(duplicate.status).toBe('wait');
    client.disconnect();
    duplicate.disconnect();
  });

  it('take the options ioredis users write as literals', () => {
    const options: RedisConnectionOptions = {
      tls: { rejectUnauthorized: false },
      sentinels: [{ host: 'sentinel', port: 26379 }],
      name: 'mymaster',
      natMap: { '10.0.0.1:6379': { host: 'public', port: 6379 } },
      maxRetriesPerRequest: null,
      reconnectOnError: () => 2,
    };
    // The other way round is ioredis' own check, when the store hands the options over.
    const client = new Redis({ ...(options as RedisOptions), lazyConnect: true });
    expect(client.status).toBe('wait');
    client.disconnect();
  });
});
