import { MemoryRoomStore } from './memory-room-store';
import { RoomIndex } from './room-index';
import type { LocalNode, OutboundBroadcast } from './room-store.interface';

/** A node with a real index and a fixed set of live connections. */
function createNode(
  connectionIds: string[],
): LocalNode & { index: RoomIndex; delivered: OutboundBroadcast[] } {
  const delivered: OutboundBroadcast[] = [];
  return {
    index: new RoomIndex(),
    delivered,
    connectionIds: () => connectionIds[Symbol.iterator](),
    hasConnection: (id) => connectionIds.includes(id),
    isConnectionId: (name) => name.startsWith('conn-'),
    deliverLocally: (broadcast) => void delivered.push(broadcast),
    runLocally: () => false,
    requestLocally: async () => ({
      replies: new Map(),
      errors: new Map(),
      missing: [],
      partial: false,
    }),
  };
}

describe('MemoryRoomStore', () => {
  let node: ReturnType<typeof createNode>;
  let store: MemoryRoomStore;

  beforeEach(() => {
    node = createNode(['alice', 'bob', 'carol']);
    node.index.add('alice', 'lobby');
    node.index.add('bob', 'lobby');
    node.index.add('alice', 'games');
    store = new MemoryRoomStore();
    store.start(node);
  });

  it('refuses queries before start()', async () => {
    const unstarted = new MemoryRoomStore();
    await expect(unstarted.members('lobby')).rejects.toThrow('MemoryRoomStore used before start()');
    await expect(unstarted.rooms()).rejects.toThrow('MemoryRoomStore used before start()');
    await expect(unstarted.roomsOf('alice')).rejects.toThrow('MemoryRoomStore used before start()');
    await expect(unstarted.connectionCount()).rejects.toThrow(
      'MemoryRoomStore used before start()',
    );
  });

  it('answers members from the local index, complete', async () => {
    const result = await store.members('lobby');
    expect(result.partial).toBe(false);
    expect(result.value.sort()).toEqual(['alice', 'bob']);
  });

  it('answers no members for an unknown room', async () => {
    expect(await store.members('nowhere')).toEqual({ value: [], partial: false });
  });

  it('counts a connection as the only member of its own-id room', async () => {
    expect(await store.members('carol')).toEqual({ value: ['carol'], partial: false });
  });

  it('adds the connection itself to the explicit members of the room named by its id', async () => {
    node.index.add('alice', 'bob');
    const result = await store.members('bob');
    expect(result.value.sort()).toEqual(['alice', 'bob']);
  });

  it('lists a connection once even if the index also holds it in its own-id room', async () => {
    node.index.add('carol', 'carol');
    expect(await store.members('carol')).toEqual({ value: ['carol'], partial: false });
  });

  it('lists the non-empty explicit rooms, without own-id rooms', async () => {
    const result = await store.rooms();
    expect(result.partial).toBe(false);
    expect(result.value.sort()).toEqual(['games', 'lobby']);
  });

  it("lists a connection's explicit rooms", async () => {
    expect((await store.roomsOf('alice')).value.sort()).toEqual(['games', 'lobby']);
    expect(await store.roomsOf('carol')).toEqual({ value: [], partial: false });
    expect(await store.roomsOf('unknown')).toEqual({ value: [], partial: false });
  });

  it('counts the live connections of the node', async () => {
    expect(await store.connectionCount()).toEqual({ value: 3, partial: false });
  });

  it('returns copies: changing an answer does not change the index', async () => {
    const result = await store.members('lobby');
    result.value.push('mallory');
    expect([...node.index.membersOf('lobby')].sort()).toEqual(['alice', 'bob']);
  });

  it('follows later changes of the index', async () => {
    node.index.remove('bob', 'lobby');
    expect((await store.members('lobby')).value).toEqual(['alice']);
  });

  it('has no other node: sendRemote resolves false and publish delivers nothing', async () => {
    await expect(
      store.sendRemote({ kind: 'join', connectionId: 'elsewhere', room: 'lobby' }),
    ).resolves.toBe(false);
    store.publish({
      message: Buffer.from('x'),
      binary: false,
      rooms: null,
      except: [],
      volatile: false,
    });
    expect(node.delivered).toEqual([]);
  });

  it('accepts membership and lifecycle notifications without changing the index', () => {
    expect(() => {
      store.joined('carol', 'lobby');
      store.left('alice', 'lobby');
      store.connected('dave');
      store.disconnected('bob', ['lobby']);
    }).not.toThrow();
    expect([...node.index.membersOf('lobby')].sort()).toEqual(['alice', 'bob']);
  });

  it('forgets the node on close', async () => {
    await store.close();
    await expect(store.rooms()).rejects.toThrow('MemoryRoomStore used before start()');
  });
});
