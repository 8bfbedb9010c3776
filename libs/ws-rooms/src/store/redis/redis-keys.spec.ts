import fc from 'fast-check';
import { keySlot } from './cluster-slot';
import { RedisKeys } from './redis-keys';

describe('RedisKeys', () => {
  it('names every channel and key under the prefix, as docs/multi-node.md lists them', () => {
    const keys = new RedisKeys('app');
    expect(keys.all).toBe('app:all');
    expect(keys.requests).toBe('app:req');
    expect(keys.nodes).toBe('app:nodes');
    expect(keys.room('lobby')).toBe('app:room:lobby');
    expect(keys.room('a:b')).toBe('app:room:a:b');
    expect(keys.connection('AbC')).toBe('app:conn:AbC');
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

  it('a room and a connection id never share a channel, however the room is spelled', () => {
    const keys = new RedisKeys('app');
    // The spellings that used to collide, and the ones that try to climb out of the room's prefix.
    for (const name of ['AbC', 'conn:AbC', ':conn:AbC', '../conn/AbC', '']) {
      expect(keys.room(name)).not.toBe(keys.connection(name));
      expect(keys.room(name)).not.toBe(keys.connection('AbC'));
    }
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (room, id) => {
        expect(keys.room(room)).not.toBe(keys.connection(id));
      }),
    );
  });

  it('no variable part can turn one kind of name into another (each kind has its own word)', () => {
    const keys = new RedisKeys('app');
    const kinds: ((value: string) => string)[] = [
      (value) => keys.room(value),
      (value) => keys.connection(value),
      (value) => keys.replies(value),
      (value) => keys.node(value),
      (value) => keys.presence(value),
      (value) => keys.presenceVersion(value),
      (value) => keys.presenceRooms(value),
      (value) => keys.session(value),
    ];
    const fixed = [keys.all, keys.requests, keys.nodes, keys.logged, keys.log, keys.logOffset];
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.string({ unit: 'binary', maxLength: 40 }),
        (a, b) => {
          kinds.forEach((first, i) => {
            for (const name of fixed) expect(first(a)).not.toBe(name);
            kinds.forEach((second, j) => {
              if (i !== j) expect(first(a)).not.toBe(second(b));
            });
          });
        },
      ),
    );
  });

  describe('on a Redis Cluster', () => {
    const keys = new RedisKeys('app', true);

    it('puts the variable part and its word in a hash tag', () => {
      expect(keys.all).toBe('app:{all}');
      expect(keys.allShard(3)).toBe('app:{all:3}');
      expect(keys.requests).toBe('app:{req}');
      expect(keys.nodes).toBe('app:{nodes}');
      expect(keys.room('lobby')).toBe('app:{room:lobby}');
      expect(keys.connection('AbC')).toBe('app:{conn:AbC}');
      expect(keys.replies('n1')).toBe('app:{res:n1}');
      expect(keys.presence('lobby')).toBe('app:{presence:lobby}');
      expect(keys.presenceVersion('lobby')).toBe('app:{presence:lobby}:version');
      expect(keys.session('t')).toBe('app:{log}:session:t');
      expect(keys.log).toBe('app:{log}');
      expect(keys.logOffset).toBe('app:{log}:offset');
      expect(keys.logged).toBe('app:{log}:logged');
    });

    it("keeps what one script touches in one slot: a room's presence, the heartbeats and the node set", () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 40 }), (name) => {
          expect(keySlot(keys.presenceVersion(name))).toBe(keySlot(keys.presence(name)));
          expect(keySlot(keys.node(name))).toBe(keySlot(keys.nodes));
          expect(keySlot(keys.presenceRooms(name))).toBe(keySlot(keys.nodes));
          // The recovery scripts read and write the log, its counter, its channel and a session.
          for (const name2 of [keys.logOffset, keys.logged, keys.session(name)]) {
            expect(keySlot(name2)).toBe(keySlot(keys.log));
          }
        }),
      );
    });

    it('spreads rooms over the slots', () => {
      const slots = new Set(Array.from({ length: 100 }, (_, i) => keySlot(keys.room(`room-${i}`))));
      expect(slots.size).toBeGreaterThan(90);
    });

    it('never spells a room and a connection alike', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (room, id) => {
          expect(keys.room(room)).not.toBe(keys.connection(id));
        }),
      );
    });
  });
});
