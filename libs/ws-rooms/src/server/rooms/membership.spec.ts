import type { Connection } from '../../connection/connection';
import { MemoryRoomStore } from '../../store/memory-room-store';
import { RoomIndex } from '../../store/room-index';
import type { ServerExtension } from '../extensions/server-extension';
import { Membership } from './membership';

/** Membership reads a connection's id and whether it closed. */
function fakeConnection(id: string, closed = false): Connection {
  return { id, closed } as unknown as Connection;
}

class RecordingStore extends MemoryRoomStore {
  readonly calls: string[] = [];
  override joined(connectionId: string, room: string): void {
    this.calls.push(`joined ${connectionId} ${room}`);
  }
  override left(connectionId: string, room: string): void {
    this.calls.push(`left ${connectionId} ${room}`);
  }
  override disconnected(connectionId: string, rooms: readonly string[]): void {
    this.calls.push(`disconnected ${connectionId} [${rooms.join(',')}]`);
  }
}

function setup(extension: ServerExtension = {}) {
  const index = new RoomIndex();
  const store = new RecordingStore();
  const failures: unknown[] = [];
  const tracked: unknown[] = [];
  const membership = new Membership(
    index,
    store,
    [extension],
    { maxRoomsPerConnection: 2, maxRoomNameLength: 16, isConnectionId: (n) => n.startsWith('c-') },
    (result) => void tracked.push(result),
    (error) => void failures.push(error),
  );
  return { index, store, membership, failures, tracked };
}

describe('Membership', () => {
  it('applies a join to the index at once, then tells the store and the extensions', async () => {
    const seen: string[] = [];
    const { index, store, membership } = setup({
      joined: (connection, room, routed) =>
        void seen.push(`${connection.id} ${room} ${String(routed)}`),
    });
    const joined = membership.join(fakeConnection('c-1'), 'room');
    expect(index.has('c-1', 'room')).toBe(true);
    await joined;
    expect(store.calls).toEqual(['joined c-1 room']);
    expect(seen).toEqual(['c-1 room undefined']);
  });

  it('ignores the own id, a room already joined and a closed connection', async () => {
    const { store, membership } = setup();
    await membership.join(fakeConnection('c-1'), 'c-1');
    await membership.join(fakeConnection('c-1'), 'room');
    await membership.join(fakeConnection('c-1'), 'room');
    await membership.join(fakeConnection('c-2', true), 'room');
    expect(store.calls).toEqual(['joined c-1 room']);
  });

  it('refuses id-shaped, overlong names and joins past maxRoomsPerConnection, synchronously', () => {
    const { index, membership } = setup();
    const connection = fakeConnection('c-1');
    expect(() => membership.join(connection, 'c-2')).toThrow(
      expect.objectContaining({ code: 'WS_ROOMS_INVALID_ROOM_NAME' }),
    );
    expect(() => membership.join(connection, 'x'.repeat(17))).toThrow(
      expect.objectContaining({ code: 'WS_ROOMS_ROOM_NAME_TOO_LONG' }),
    );
    void membership.join(connection, 'a');
    void membership.join(connection, 'b');
    expect(() => membership.join(connection, 'c')).toThrow(
      expect.objectContaining({ code: 'WS_ROOMS_ROOM_LIMIT' }),
    );
    expect([...index.roomsOf('c-1')]).toEqual(['a', 'b']);
  });

  it('leaves: extensions first, then the store; a room not joined is a no-op', async () => {
    const seen: string[] = [];
    const { store, membership } = setup({ left: (c, room) => void seen.push(`${c.id} ${room}`) });
    const connection = fakeConnection('c-1');
    await membership.join(connection, 'room');
    await membership.leave(connection, 'room');
    await membership.leave(connection, 'room');
    expect(seen).toEqual(['c-1 room']);
    expect(store.calls).toEqual(['joined c-1 room', 'left c-1 room']);
  });

  it('a failing store is reported, and join() still resolves', async () => {
    const { store, membership, failures } = setup();
    store.joined = () => Promise.reject(new Error('store down')) as unknown as void;
    await expect(membership.join(fakeConnection('c-1'), 'room')).resolves.toBeUndefined();
    expect(failures).toEqual([new Error('store down')]);
  });

  it('leaveAll() empties the index for the connection and tells the store its rooms', () => {
    const { index, store, membership } = setup();
    const connection = fakeConnection('c-1');
    void membership.join(connection, 'a');
    void membership.join(connection, 'b');
    expect(membership.leaveAll(connection)).toEqual(['a', 'b']);
    expect(index.roomsOf('c-1').size).toBe(0);
    expect(store.calls.at(-1)).toBe('disconnected c-1 [a,b]');
  });
});
