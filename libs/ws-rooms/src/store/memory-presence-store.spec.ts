import { MemoryPresenceStore } from './memory-presence-store';
import type { PresenceMember, PresenceSnapshot } from './presence-store.interface';

const alice: PresenceMember = { id: 'alice', meta: { name: 'Alice' } };
const bob: PresenceMember = { id: 'bob', meta: { name: 'Bob' } };
const carol: PresenceMember = { id: 'carol', meta: {} };

const EMPTY: PresenceSnapshot = { members: [], version: 0, partial: false };

describe('MemoryPresenceStore', () => {
  let store: MemoryPresenceStore;

  beforeEach(() => {
    store = new MemoryPresenceStore();
    store.attach({
      removed: () => {
        throw new Error('a single node never removes members on its own');
      },
      lost: () => {
        throw new Error('a single node never loses its records');
      },
      localMembers: () => {
        throw new Error('a single node never answers partially');
      },
    });
  });

  it('answers synchronously (no promise) from add, remove and snapshot', () => {
    const added = store.add('lobby', alice);
    const read = store.snapshot('lobby');
    const removed = store.remove('lobby', 'alice');
    for (const value of [added, read, removed]) {
      expect(value).not.toBeInstanceOf(Promise);
    }
  });

  it('add returns a snapshot that includes the new member, at the version of this join', () => {
    expect(store.add('lobby', alice)).toEqual({ members: [alice], version: 1, partial: false });
    expect(store.add('lobby', bob)).toEqual({ members: [alice, bob], version: 2, partial: false });
    expect(store.snapshot('lobby')).toEqual({
      members: [alice, bob],
      version: 2,
      partial: false,
    });
  });

  it('increments the version once per change, joins and leaves alike', () => {
    expect(store.add('lobby', alice).version).toBe(1);
    expect(store.add('lobby', bob).version).toBe(2);
    expect(store.remove('lobby', 'alice')).toBe(3);
    expect(store.snapshot('lobby').version).toBe(3);
    expect(store.add('lobby', carol).version).toBe(4);
    expect(store.remove('lobby', 'carol')).toBe(5);
    // Reads do not count as changes.
    store.snapshot('lobby');
    store.snapshot('lobby');
    expect(store.snapshot('lobby')).toEqual({ members: [bob], version: 5, partial: false });
  });

  it('keeps join order in snapshots, also after a member in the middle leaves', () => {
    store.add('lobby', carol);
    store.add('lobby', alice);
    store.add('lobby', bob);
    expect(store.snapshot('lobby').members.map((member) => member.id)).toEqual([
      'carol',
      'alice',
      'bob',
    ]);
    store.remove('lobby', 'alice');
    store.add('lobby', alice);
    expect(store.snapshot('lobby').members.map((member) => member.id)).toEqual([
      'carol',
      'bob',
      'alice',
    ]);
  });

  it('recording a member again replaces its metadata in place and still counts as a change', () => {
    store.add('lobby', alice);
    store.add('lobby', bob);
    const renamed: PresenceMember = { id: 'alice', meta: { name: 'Alice 2' } };
    expect(store.add('lobby', renamed)).toEqual({
      members: [renamed, bob],
      version: 3,
      partial: false,
    });
  });

  it('remove returns null for an unknown member or room, and changes nothing', () => {
    expect(store.remove('nowhere', 'alice')).toBeNull();
    store.add('lobby', alice);
    expect(store.remove('lobby', 'bob')).toBeNull();
    expect(store.snapshot('lobby')).toEqual({ members: [alice], version: 1, partial: false });
    expect(store.remove('lobby', 'alice')).toBe(2);
    expect(store.remove('lobby', 'alice')).toBeNull();
  });

  it('drops a room with its version when its last member leaves', () => {
    store.add('lobby', alice);
    store.add('lobby', bob);
    expect(store.remove('lobby', 'alice')).toBe(3);
    expect(store.remove('lobby', 'bob')).toBe(4);
    expect(store.snapshot('lobby')).toEqual(EMPTY);
    // The versions start over with the room's next member.
    expect(store.add('lobby', carol)).toEqual({ members: [carol], version: 1, partial: false });
  });

  it('a room that was never joined reads as empty, unnumbered and complete', () => {
    expect(store.snapshot('never')).toEqual(EMPTY);
  });

  it('keeps rooms apart: members and versions of one room do not touch another', () => {
    store.add('lobby', alice);
    store.add('lobby', bob);
    expect(store.add('games', alice)).toEqual({ members: [alice], version: 1, partial: false });
    expect(store.remove('games', 'alice')).toBe(2);
    expect(store.snapshot('games')).toEqual(EMPTY);
    expect(store.snapshot('lobby')).toEqual({
      members: [alice, bob],
      version: 2,
      partial: false,
    });
  });

  it('hands out snapshots that later changes do not alter', () => {
    store.add('lobby', alice);
    const before = store.add('lobby', bob);
    store.remove('lobby', 'alice');
    store.add('lobby', carol);
    expect(before).toEqual({ members: [alice, bob], version: 2, partial: false });
  });
});
