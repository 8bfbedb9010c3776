import type { Connection } from '../../connection/connection';
import { RoomIndex } from '../../store/room-index';
import { Recipients } from './recipients';

/** Recipients only read `id` from a connection. */
function fakeConnection(id: string): Connection {
  return { id } as unknown as Connection;
}

describe('Recipients', () => {
  const ids = ['id-a', 'id-b', 'id-c'];
  const connections = new Map(ids.map((id) => [id, fakeConnection(id)]));
  const index = new RoomIndex();
  index.add('id-a', 'room');
  index.add('id-b', 'room');
  // A room spelled like c's id: only possible when the join check is bypassed, as here.
  index.add('id-a', 'id-c');
  const recipients = new Recipients(connections, index, (name) => name.startsWith('id-'));

  function reached(rooms: readonly string[] | null, except: readonly string[] = []): string[] {
    const seen: string[] = [];
    recipients.forEach(rooms, except, (connection) => seen.push(connection.id));
    return seen;
  }

  it('null targets everyone but the excepted rooms and ids', () => {
    expect(reached(null)).toEqual(ids);
    expect(reached(null, ['id-b'])).toEqual(['id-a', 'id-c']);
    expect(reached(null, ['room'])).toEqual(['id-c']);
  });

  it('an id target reaches that connection only, never a room of the same spelling', () => {
    expect(reached(['id-c'])).toEqual(['id-c']);
  });

  it('a room target reaches its members only', () => {
    expect(reached(['room'])).toEqual(['id-a', 'id-b']);
  });

  it('several targets visit each connection once, minus except', () => {
    expect(reached(['room', 'id-a', 'id-c'])).toEqual(['id-a', 'id-b', 'id-c']);
    expect(reached(['room', 'id-c'], ['id-a'])).toEqual(['id-b', 'id-c']);
  });

  it('an unknown id or room reaches nobody', () => {
    expect(reached(['id-zzz', 'nowhere'])).toEqual([]);
  });

  it('expand() gives the ids rooms and ids stand for, live connections only', () => {
    expect([...recipients.expand(['room', 'id-c', 'id-gone'])].sort()).toEqual([
      'id-a',
      'id-b',
      'id-c',
    ]);
  });
});
