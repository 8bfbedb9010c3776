import fc from 'fast-check';
import { RoomIndex } from '../store/room-index';
import { largestRooms } from './top-rooms';

function indexOf(rooms: Record<string, number>): RoomIndex {
  const index = new RoomIndex();
  for (const [room, members] of Object.entries(rooms)) {
    for (let i = 0; i < members; i++) index.add(`c${i}`, room);
  }
  return index;
}

describe('largestRooms', () => {
  it('lists the largest rooms first, by name among equals', () => {
    const index = indexOf({ b: 2, a: 2, big: 5, solo: 1 });
    expect(largestRooms(index, 10)).toEqual([
      { name: 'big', members: 5 },
      { name: 'a', members: 2 },
      { name: 'b', members: 2 },
      { name: 'solo', members: 1 },
    ]);
  });

  it('keeps only `limit` rooms', () => {
    const index = indexOf({ a: 1, b: 4, c: 3, d: 2 });
    expect(largestRooms(index, 2)).toEqual([
      { name: 'b', members: 4 },
      { name: 'c', members: 3 },
    ]);
    expect(largestRooms(index, 0)).toEqual([]);
    expect(largestRooms(new RoomIndex(), 5)).toEqual([]);
  });

  it('agrees with sorting everything and taking the head', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 4 }), fc.integer({ min: 1, max: 6 })),
        fc.integer({ min: 1, max: 8 }),
        (rooms, limit) => {
          const expected = Object.entries(rooms)
            .map(([name, members]) => ({ name, members }))
            .sort((x, y) => y.members - x.members || (x.name < y.name ? -1 : 1))
            .slice(0, limit);
          expect(largestRooms(indexOf(rooms), limit)).toEqual(expected);
        },
      ),
    );
  });
});
