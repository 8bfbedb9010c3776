import type { Redis } from 'ioredis';
import { WsRoomsErrorCode } from '../../errors/error-codes';
import { resolveRedisStoreOptions } from './redis-store-options';

const fakeClient = { duplicate: () => fakeClient } as unknown as Redis;

describe('resolveRedisStoreOptions', () => {
  it('applies the documented defaults', () => {
    const resolved = resolveRedisStoreOptions({ url: 'redis://127.0.0.1:6379' });
    expect(resolved).toMatchObject({
      url: 'redis://127.0.0.1:6379',
      client: undefined,
      redisOptions: {},
      keyPrefix: 'ws-rooms',
      requestTimeout: 1000,
      heartbeatInterval: 1000,
      heartbeatTtl: 5000,
      connectTimeout: 5000,
      maxUnacknowledgedBytes: 16 * 1024 * 1024,
      maxMessageBytes: 16 * 1024 * 1024,
    });
    expect(resolved.nodeId).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(resolveRedisStoreOptions({ url: 'redis://h' }).nodeId).not.toBe(resolved.nodeId);
  });

  it('accepts a client instead of a URL, and rediss:// URLs', () => {
    expect(resolveRedisStoreOptions({ client: fakeClient }).client).toBe(fakeClient);
    expect(resolveRedisStoreOptions({ url: 'rediss://user:pw@host:6380/2' }).url).toBe(
      'rediss://user:pw@host:6380/2',
    );
  });

  it('accepts a cluster instead of a URL, and copies its nodes', () => {
    const nodes = [{ host: '127.0.0.1', port: 7000 }];
    const resolved = resolveRedisStoreOptions({ cluster: { nodes } });
    nodes.push({ host: 'later', port: 1 });
    expect(resolved.cluster).toEqual({ nodes: [{ host: '127.0.0.1', port: 7000 }] });
    expect(resolved.url).toBeUndefined();
    expect(resolveRedisStoreOptions({ url: 'redis://h' }).cluster).toBeUndefined();
  });

  it('takes the key namespace from keyPrefix, or from its deprecated alias prefix', () => {
    const url = 'redis://h';
    expect(resolveRedisStoreOptions({ url, keyPrefix: 'app' }).keyPrefix).toBe('app');
    expect(resolveRedisStoreOptions({ url, prefix: 'old' }).keyPrefix).toBe('old');
    expect(resolveRedisStoreOptions({ url, keyPrefix: 'same', prefix: 'same' }).keyPrefix).toBe(
      'same',
    );
  });

  it.each<[string, object, string]>([
    [
      'keyPrefix and its alias prefix with different values',
      { url: 'redis://h', keyPrefix: 'new', prefix: 'old' },
      '"keyPrefix" ("new") and its deprecated alias "prefix" ("old") differ: give "keyPrefix" only',
    ],
    [
      'an empty keyPrefix',
      { url: 'redis://h', keyPrefix: '' },
      '"keyPrefix" must be a non-empty string',
    ],
    ['an empty prefix', { url: 'redis://h', prefix: '' }, '"prefix" must be a non-empty string'],
    [
      'a keyPrefix that is not a string',
      { url: 'redis://h', keyPrefix: 7 },
      '"keyPrefix" must be a non-empty string',
    ],
    [
      'a URL and a cluster',
      { url: 'redis://h', cluster: { nodes: [{ host: 'h', port: 7000 }] } },
      'give exactly one of "url", "client" and "cluster"',
    ],
    ['a cluster without nodes', { cluster: { nodes: [] } }, '"cluster.nodes" must list 1 to 64'],
    ['a cluster that is not an object', { cluster: 'h:7000' }, '"cluster" must be an object'],
    [
      'a cluster node without a port',
      { cluster: { nodes: [{ host: 'h' }] } },
      '"cluster.nodes[0].port" must be a port number, got undefined',
    ],
    [
      'a cluster node without a host',
      { cluster: { nodes: [{ host: '', port: 1 }] } },
      '"cluster.nodes[0].host" must be a non-empty string',
    ],
    [
      'a brace in the keyPrefix of a cluster (it would move the hash tags)',
      { cluster: { nodes: [{ host: 'h', port: 7000 }] }, keyPrefix: 'a{b}' },
      '"keyPrefix" must not contain "{" or "}" with "cluster"',
    ],
    ['neither url nor client', {}, 'give exactly one of "url", "client" and "cluster"'],
    [
      'both url and client',
      { url: 'redis://h', client: fakeClient },
      'give exactly one of "url", "client" and "cluster"',
    ],
    [
      'an http URL',
      { url: 'http://h' },
      '"url" must be a redis:// or rediss:// URL, got "http://h"',
    ],
    ['a client that is not ioredis', { client: {} }, '"client" must be an ioredis client'],
    ['an empty prefix', { url: 'redis://h', prefix: '' }, '"prefix" must be a non-empty string'],
    [
      'an empty node id',
      { url: 'redis://h', nodeId: '' },
      '"nodeId" must be a non-empty string of at most 255 UTF-8 bytes',
    ],
    [
      'a node id over 255 bytes',
      { url: 'redis://h', nodeId: 'é'.repeat(128) },
      'at most 255 UTF-8 bytes',
    ],
    [
      'a zero timeout',
      { url: 'redis://h', requestTimeout: 0 },
      '"requestTimeout" must be a positive integer, got 0',
    ],
    [
      'a fractional interval',
      { url: 'redis://h', heartbeatInterval: 1.5 },
      '"heartbeatInterval" must be a positive integer, got 1.5',
    ],
    [
      'a string TTL',
      { url: 'redis://h', heartbeatTtl: '5000' },
      '"heartbeatTtl" must be a positive integer, got "5000"',
    ],
    [
      'a TTL not above the interval',
      { url: 'redis://h', heartbeatInterval: 1000, heartbeatTtl: 1000 },
      '"heartbeatTtl" (1000) must be greater than "heartbeatInterval" (1000)',
    ],
    [
      'a message bound too small for ordinary answers',
      { url: 'redis://h', maxMessageBytes: 4095 },
      '"maxMessageBytes" must be at least 4096, got 4095',
    ],
    [
      'a negative connect timeout',
      { url: 'redis://h', connectTimeout: -1 },
      '"connectTimeout" must be a positive integer, got -1',
    ],
  ])('rejects %s with WS_ROOMS_INVALID_OPTION', (_name, options, message) => {
    expect(() => resolveRedisStoreOptions(options)).toThrow(
      expect.objectContaining({
        code: WsRoomsErrorCode.InvalidOption,
        message: expect.stringContaining(message),
      }),
    );
  });
});
