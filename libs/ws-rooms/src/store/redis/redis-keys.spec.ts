import { RedisKeys } from './redis-keys';

describe('RedisKeys', () => {
  it('names every channel and key under the prefix, as docs/multi-node.md lists them', () => {
    const keys = new RedisKeys('app');
    expect(keys.all).toBe('app:all');
    expect(keys.requests).toBe('app:req');
    expect(keys.nodes).toBe('app:nodes');
    expect(keys.room('lobby')).toBe('app:room:lobby');
    expect(keys.room('a:b')).toBe('app:room:a:b');
    expect(keys.replies('n1')).toBe('app:res:n1');
    expect(keys.node('n1')).toBe('app:node:n1');
    expect(keys.logged).toBe('app:logged');
    expect(keys.log).toBe('app:log');
    expect(keys.logOffset).toBe('app:log-offset');
    expect(keys.presence('lobby')).toBe('app:presence:lobby');
    expect(keys.presenceVersion('lobby')).toBe('app:presence-version:lobby');
    expect(keys.presenceRooms('n1')).toBe('app:presence-rooms:n1');
    expect(keys.session('t')).toBe('app:session:t');
  });
});
