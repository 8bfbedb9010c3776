import { RoomIndex } from './room-index';

const sorted = (values: Iterable<string>): string[] => [...values].sort();

describe('RoomIndex', () => {
  let index: RoomIndex;

  beforeEach(() => {
    index = new RoomIndex();
  });

  it('starts empty', () => {
    expect(index.roomCount).toBe(0);
    expect(sorted(index.rooms())).toEqual([]);
    expect(sorted(index.membersOf('lobby'))).toEqual([]);
    expect(sorted(index.roomsOf('a'))).toEqual([]);
    expect(index.has('a', 'lobby')).toBe(false);
  });

  it('records a membership in both directions', () => {
    expect(index.add('a', 'lobby')).toBe(true);
    expect(index.has('a', 'lobby')).toBe(true);
    expect(sorted(index.membersOf('lobby'))).toEqual(['a']);
    expect(sorted(index.roomsOf('a'))).toEqual(['lobby']);
    expect(index.roomCount).toBe(1);
  });

  it('makes join idempotent: a second add returns false and changes nothing', () => {
    index.add('a', 'lobby');
    expect(index.add('a', 'lobby')).toBe(false);
    expect(sorted(index.membersOf('lobby'))).toEqual(['a']);
    expect(sorted(index.roomsOf('a'))).toEqual(['lobby']);
  });

  it('keeps several members and several rooms apart', () => {
    index.add('a', 'lobby');
    index.add('b', 'lobby');
    index.add('a', 'games');
    expect(sorted(index.membersOf('lobby'))).toEqual(['a', 'b']);
    expect(sorted(index.membersOf('games'))).toEqual(['a']);
    expect(sorted(index.roomsOf('a'))).toEqual(['games', 'lobby']);
    expect(sorted(index.roomsOf('b'))).toEqual(['lobby']);
    expect(sorted(index.rooms())).toEqual(['games', 'lobby']);
    expect(index.roomCount).toBe(2);
  });

  it('removes a membership in both directions', () => {
    index.add('a', 'lobby');
    index.add('b', 'lobby');
    expect(index.remove('a', 'lobby')).toBe(true);
    expect(index.has('a', 'lobby')).toBe(false);
    expect(sorted(index.membersOf('lobby'))).toEqual(['b']);
    expect(sorted(index.roomsOf('a'))).toEqual([]);
  });

  it('deletes a room when its last member leaves', () => {
    index.add('a', 'lobby');
    index.remove('a', 'lobby');
    expect(index.roomCount).toBe(0);
    expect(sorted(index.rooms())).toEqual([]);
  });

  it('returns false when removing a membership that does not exist, and changes nothing', () => {
    index.add('a', 'lobby');
    expect(index.remove('b', 'lobby')).toBe(false);
    expect(index.remove('a', 'unknown')).toBe(false);
    expect(sorted(index.membersOf('lobby'))).toEqual(['a']);
    expect(sorted(index.roomsOf('a'))).toEqual(['lobby']);
    expect(index.roomCount).toBe(1);
  });

  it('removeAll leaves every room of a connection, returns them, and deletes rooms left empty', () => {
    index.add('a', 'lobby');
    index.add('a', 'games');
    index.add('a', 'solo');
    index.add('b', 'lobby');
    expect(index.removeAll('a').sort()).toEqual(['games', 'lobby', 'solo']);
    expect(sorted(index.roomsOf('a'))).toEqual([]);
    expect(sorted(index.membersOf('lobby'))).toEqual(['b']);
    expect(sorted(index.rooms())).toEqual(['lobby']);
    expect(index.roomCount).toBe(1);
  });

  it('removeAll of a connection without rooms returns an empty list', () => {
    index.add('b', 'lobby');
    expect(index.removeAll('a')).toEqual([]);
    expect(sorted(index.membersOf('lobby'))).toEqual(['b']);
  });

  it('lets a connection rejoin after removeAll', () => {
    index.add('a', 'lobby');
    index.removeAll('a');
    expect(index.add('a', 'lobby')).toBe(true);
    expect(sorted(index.roomsOf('a'))).toEqual(['lobby']);
  });

  it('stays consistent in both directions through many joins and leaves', () => {
    const members = ['a', 'b', 'c', 'd'];
    const rooms = ['r1', 'r2', 'r3'];
    const expected = new Set<string>();
    let step = 0;
    for (let round = 0; round < 200; round++) {
      step = (step * 7 + 3) % 97;
      const member = members[step % members.length];
      const room = rooms[step % rooms.length];
      const key = `${member}|${room}`;
      if (step % 3 === 0) {
        expect(index.remove(member, room)).toBe(expected.delete(key));
      } else if (step % 11 === 0) {
        index.removeAll(member);
        for (const entry of [...expected])
          if (entry.startsWith(`${member}|`)) expected.delete(entry);
      } else {
        expect(index.add(member, room)).toBe(!expected.has(key));
        expected.add(key);
      }
    }
    for (const member of members) {
      for (const room of rooms) {
        const isMember = expected.has(`${member}|${room}`);
        expect(index.has(member, room)).toBe(isMember);
        expect(index.membersOf(room).has(member)).toBe(isMember);
        expect(index.roomsOf(member).has(room)).toBe(isMember);
      }
    }
    const nonEmpty = rooms.filter((room) => members.some((m) => expected.has(`${m}|${room}`)));
    expect(sorted(index.rooms())).toEqual(nonEmpty);
  });
});
