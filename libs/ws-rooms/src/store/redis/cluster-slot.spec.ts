import { CLUSTER_SLOTS, keySlot } from './cluster-slot';

describe('keySlot', () => {
  it('gives the slots Redis Cluster gives (values from CLUSTER KEYSLOT)', () => {
    // The reference vector of the Redis Cluster specification: CRC16("123456789") = 0x31C3.
    expect(keySlot('123456789')).toBe(0x31c3 % CLUSTER_SLOTS);
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('bar')).toBe(5061);
    expect(keySlot('')).toBe(0);
    expect(keySlot('é')).toBe(10180);
    expect(keySlot('{}')).toBe(15257);
    expect(keySlot('a{}b')).toBe(13694);
  });

  it('hashes only the hash tag when there is one', () => {
    expect(keySlot('app:{room:lobby}')).toBe(keySlot('room:lobby'));
    expect(keySlot('app:{room:lobby}:version')).toBe(keySlot('room:lobby'));
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
  });

  it('follows the rule for empty and unclosed tags: the whole name is hashed', () => {
    expect(keySlot('a{}b')).not.toBe(keySlot(''));
    expect(keySlot('{}')).toBe(keySlot('{}'));
    expect(keySlot('foo{bar')).not.toBe(keySlot('bar'));
    // The first `{` and the first `}` after it: `{{bar}}` hashes `{bar`.
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
  });

  it('hashes UTF-8 bytes', () => {
    const slot = keySlot('é');
    expect(slot).toBeGreaterThanOrEqual(0);
    expect(slot).toBeLessThan(CLUSTER_SLOTS);
    expect(keySlot('x{é}y')).toBe(slot);
  });
});
