import { MemoryPresenceStore } from '../../store/memory-presence-store';
import type {
  PresenceMember,
  PresenceSnapshot,
  PresenceStore,
  PresenceStoreEvents,
} from '../../store/presence-store.interface';
import {
  PresenceCoordinator,
  type PresenceOutlet,
  type PresencePayload,
} from './presence-coordinator';
import { PresenceTracker } from './presence-tracker';

// ---------------------------------------------------------------------------------------------
// Fakes
// ---------------------------------------------------------------------------------------------

type OutletCall =
  | readonly ['toRoom', string, PresencePayload, string | null]
  | readonly ['toConnection', string, PresencePayload]
  | readonly ['failed', unknown];

/** Records every call, in order. */
class RecordingOutlet implements PresenceOutlet {
  readonly calls: OutletCall[] = [];

  toRoom(room: string, payload: PresencePayload, except: string | null): void {
    this.calls.push(['toRoom', room, payload, except]);
  }

  toConnection(connectionId: string, payload: PresencePayload): void {
    this.calls.push(['toConnection', connectionId, payload]);
  }

  failed(error: unknown): void {
    this.calls.push(['failed', error]);
  }

  failures(): unknown[] {
    return this.calls.filter((call) => call[0] === 'failed').map((call) => call[1]);
  }
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  readonly settled: boolean;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const state = {
    promise,
    settled: false,
    resolve(value: T) {
      state.settled = true;
      resolve(value);
    },
    reject(error: unknown) {
      state.settled = true;
      reject(error);
    },
  };
  return state;
}

type StoreCall =
  | { op: 'add'; room: string; member: PresenceMember; answer: Deferred<PresenceSnapshot> }
  | { op: 'remove'; room: string; id: string; answer: Deferred<number | null> }
  | { op: 'snapshot'; room: string; answer: Deferred<PresenceSnapshot> };

/** An asynchronous store whose every answer the test gives by hand. */
class DeferredPresenceStore implements PresenceStore {
  events: PresenceStoreEvents | undefined;
  readonly calls: StoreCall[] = [];

  attach(events: PresenceStoreEvents): void {
    this.events = events;
  }

  add(room: string, member: PresenceMember): Promise<PresenceSnapshot> {
    const answer = deferred<PresenceSnapshot>();
    this.calls.push({ op: 'add', room, member, answer });
    return answer.promise;
  }

  remove(room: string, connectionId: string): Promise<number | null> {
    const answer = deferred<number | null>();
    this.calls.push({ op: 'remove', room, id: connectionId, answer });
    return answer.promise;
  }

  snapshot(room: string): Promise<PresenceSnapshot> {
    const answer = deferred<PresenceSnapshot>();
    this.calls.push({ op: 'snapshot', room, answer });
    return answer.promise;
  }

  /** The calls so far, as `op room [id]`. */
  log(): string[] {
    return this.calls.map((call) => {
      if (call.op === 'add') return `add ${call.room} ${call.member.id}`;
      if (call.op === 'remove') return `remove ${call.room} ${call.id}`;
      return `snapshot ${call.room}`;
    });
  }

  /** The oldest unanswered add of a member to a room. */
  pendingAdd(room: string, id: string): Deferred<PresenceSnapshot> {
    const call = this.calls.find(
      (c) => c.op === 'add' && c.room === room && c.member.id === id && !c.answer.settled,
    );
    if (call === undefined) throw new Error(`no pending add of ${id} to ${room}`);
    return call.answer as Deferred<PresenceSnapshot>;
  }

  /** The oldest unanswered removal of a member from a room. */
  pendingRemove(room: string, id: string): Deferred<number | null> {
    const call = this.calls.find(
      (c) => c.op === 'remove' && c.room === room && c.id === id && !c.answer.settled,
    );
    if (call === undefined) throw new Error(`no pending remove of ${id} from ${room}`);
    return call.answer as Deferred<number | null>;
  }

  pendingSnapshot(room: string): Deferred<PresenceSnapshot> {
    const call = this.calls.find(
      (c) => c.op === 'snapshot' && c.room === room && !c.answer.settled,
    );
    if (call === undefined) throw new Error(`no pending snapshot of ${room}`);
    return call.answer as Deferred<PresenceSnapshot>;
  }
}

/** The memory store, with the events it was attached to kept for the test to fire. */
class ObservableMemoryStore extends MemoryPresenceStore {
  events: PresenceStoreEvents | undefined;

  override attach(events: PresenceStoreEvents): void {
    this.events = events;
    super.attach(events);
  }
}

/** Lets every queued promise reaction run: all microtasks drain before an immediate. */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The promise, once it has settled within one flush: a step that never finishes fails the test at
 * once instead of waiting for the test timeout.
 */
async function settled<T>(promise: Promise<T> | undefined): Promise<T> {
  if (promise === undefined) throw new Error('expected a promise, got undefined');
  const state = watch(promise);
  await flush();
  if (!state.done) throw new Error('the promise is still pending');
  return promise;
}

/** Whether a promise settled, checked after a flush (never waits on the promise itself). */
function watch(promise: Promise<unknown> | undefined): { readonly done: boolean } {
  const state = { done: false };
  void promise?.then(
    () => (state.done = true),
    () => (state.done = true),
  );
  return state;
}

const alice = { id: 'alice', principal: 'Alice' } as const;
const bob = { id: 'bob', principal: 'Bob' } as const;
const carol = { id: 'carol', principal: 'Carol' } as const;

const memberOf = (connection: { id: string; principal: string }): PresenceMember => ({
  id: connection.id,
  meta: { name: connection.principal },
});

function createTracker(): PresenceTracker {
  return new PresenceTracker({
    rooms: ['lobby', 'games'],
    metadata: (connection) => ({ name: connection.principal }),
  });
}

function snapshot(members: PresenceMember[], version: number, partial = false): PresenceSnapshot {
  return { members, version, partial };
}

// ---------------------------------------------------------------------------------------------
// With the synchronous memory store
// ---------------------------------------------------------------------------------------------

describe('PresenceCoordinator with the memory store (synchronous)', () => {
  let tracker: PresenceTracker;
  let store: ObservableMemoryStore;
  let outlet: RecordingOutlet;
  let coordinator: PresenceCoordinator;

  beforeEach(() => {
    tracker = createTracker();
    store = new ObservableMemoryStore();
    outlet = new RecordingOutlet();
    coordinator = new PresenceCoordinator(tracker, store, outlet);
  });

  it('attaches to the store once, on construction', () => {
    const attach = jest.fn();
    const probe: PresenceStore = {
      attach,
      add: () => snapshot([], 0),
      remove: () => null,
      snapshot: () => snapshot([], 0),
    };
    new PresenceCoordinator(createTracker(), probe, new RecordingOutlet());
    expect(attach).toHaveBeenCalledTimes(1);
    expect(attach.mock.calls[0][0]).toEqual({
      removed: expect.any(Function),
      lost: expect.any(Function),
      localMembers: expect.any(Function),
    });
  });

  it("answers the store's question for this node's members from the tracker", () => {
    const attach = jest.fn();
    const probe: PresenceStore = {
      attach,
      add: () => snapshot([], 0),
      remove: () => null,
      snapshot: () => snapshot([], 0),
    };
    const ownTracker = createTracker();
    const own = new PresenceCoordinator(ownTracker, probe, new RecordingOutlet());
    own.joined(alice, 'lobby', undefined);
    const events = attach.mock.calls[0][0] as PresenceStoreEvents;
    expect(events.localMembers('lobby')).toEqual(ownTracker.members('lobby'));
    expect(events.localMembers('lobby').map((m) => m.id)).toEqual(['alice']);
    expect(events.localMembers('kitchen')).toEqual([]);
  });

  it('tracks the rooms the tracker tracks', () => {
    expect(coordinator.tracks('lobby')).toBe(true);
    expect(coordinator.tracks('games')).toBe(true);
    expect(coordinator.tracks('kitchen')).toBe(false);
  });

  it('a join is recorded, announced to the room and listed to the joiner within the call', () => {
    expect(coordinator.joined(alice, 'lobby', undefined)).toBeUndefined();
    expect(tracker.has('alice', 'lobby')).toBe(true);
    expect(outlet.calls).toEqual([
      ['toRoom', 'lobby', { room: 'lobby', joined: memberOf(alice), version: 1 }, 'alice'],
      ['toConnection', 'alice', { room: 'lobby', members: [memberOf(alice)], version: 1 }],
    ]);
    outlet.calls.length = 0;

    expect(coordinator.joined(bob, 'lobby', true)).toBeUndefined();
    expect(outlet.calls).toEqual([
      ['toRoom', 'lobby', { room: 'lobby', joined: memberOf(bob), version: 2 }, 'bob'],
      [
        'toConnection',
        'bob',
        { room: 'lobby', members: [memberOf(alice), memberOf(bob)], version: 2 },
      ],
    ]);
    expect(store.snapshot('lobby')).toEqual(snapshot([memberOf(alice), memberOf(bob)], 2));
  });

  it('a leave of a connection still open empties its list, then tells the room, within the call', () => {
    coordinator.joined(alice, 'lobby', undefined);
    coordinator.joined(bob, 'lobby', undefined);
    outlet.calls.length = 0;

    expect(coordinator.left('alice', 'lobby', true)).toBeUndefined();
    expect(tracker.has('alice', 'lobby')).toBe(false);
    expect(outlet.calls).toEqual([
      ['toConnection', 'alice', { room: 'lobby', members: [] }],
      ['toRoom', 'lobby', { room: 'lobby', left: { id: 'alice' }, version: 3 }, null],
    ]);
    expect(store.snapshot('lobby')).toEqual(snapshot([memberOf(bob)], 3));
  });

  it('a closed connection sends nothing to itself on leaving', () => {
    coordinator.joined(alice, 'lobby', undefined);
    outlet.calls.length = 0;

    expect(coordinator.left('alice', 'lobby', false)).toBeUndefined();
    expect(outlet.calls).toEqual([
      ['toRoom', 'lobby', { room: 'lobby', left: { id: 'alice' }, version: 2 }, null],
    ]);
  });

  it('a leave of a connection that is not a member does nothing, and asks the store nothing', () => {
    const remove = jest.spyOn(store, 'remove');
    coordinator.joined(alice, 'games', undefined);
    outlet.calls.length = 0;

    expect(coordinator.left('alice', 'lobby', true)).toBeUndefined();
    expect(coordinator.left('nobody', 'games', true)).toBeUndefined();
    expect(remove).not.toHaveBeenCalled();
    expect(outlet.calls).toEqual([]);
    expect(tracker.has('alice', 'games')).toBe(true);
  });

  it('a second leave of the same member is ignored', () => {
    coordinator.joined(alice, 'lobby', undefined);
    coordinator.left('alice', 'lobby', false);
    outlet.calls.length = 0;
    coordinator.left('alice', 'lobby', false);
    expect(outlet.calls).toEqual([]);
  });

  it('waits for a routed promise, then records and announces', async () => {
    const routed = deferred<void>();
    const add = jest.spyOn(store, 'add');
    const done = coordinator.joined(alice, 'lobby', routed.promise);
    expect(done).toBeInstanceOf(Promise);
    // The tracker knows the member at once; the store hears of it only once routed.
    expect(tracker.has('alice', 'lobby')).toBe(true);
    await flush();
    expect(add).not.toHaveBeenCalled();
    expect(outlet.calls).toEqual([]);
    const finished = watch(done);

    routed.resolve();
    await flush();
    expect(add).toHaveBeenCalledTimes(1);
    expect(add).toHaveBeenCalledWith('lobby', memberOf(alice));
    expect(finished.done).toBe(true);
    expect(outlet.calls).toEqual([
      ['toRoom', 'lobby', { room: 'lobby', joined: memberOf(alice), version: 1 }, 'alice'],
      ['toConnection', 'alice', { room: 'lobby', members: [memberOf(alice)], version: 1 }],
    ]);
  });

  it('a rejected routed promise does not stop presence, nor is it reported as a store failure', async () => {
    const done = coordinator.joined(alice, 'lobby', Promise.reject(new Error('subscribe failed')));
    const finished = watch(done);
    await flush();
    expect(finished.done).toBe(true);
    await expect(settled(done)).resolves.toBeUndefined();
    expect(outlet.failures()).toEqual([]);
    expect(store.snapshot('lobby')).toEqual(snapshot([memberOf(alice)], 1));
    expect(outlet.calls).toEqual([
      ['toRoom', 'lobby', { room: 'lobby', joined: memberOf(alice), version: 1 }, 'alice'],
      ['toConnection', 'alice', { room: 'lobby', members: [memberOf(alice)], version: 1 }],
    ]);
  });

  it('a leave while routed is pending runs after the join, even with a synchronous store', async () => {
    const routed = deferred<void>();
    const order: string[] = [];
    jest.spyOn(store, 'add').mockImplementation(function (this: MemoryPresenceStore, room, member) {
      order.push(`add ${member.id}`);
      return MemoryPresenceStore.prototype.add.call(this, room, member);
    });
    jest.spyOn(store, 'remove').mockImplementation(function (this: MemoryPresenceStore, room, id) {
      order.push(`remove ${id}`);
      return MemoryPresenceStore.prototype.remove.call(this, room, id);
    });
    coordinator.joined(alice, 'lobby', routed.promise);
    const leave = coordinator.left('alice', 'lobby', true);
    expect(leave).toBeInstanceOf(Promise);
    await flush();
    expect(order).toEqual([]);

    routed.resolve();
    await flush();
    expect(order).toEqual(['add alice', 'remove alice']);
    expect(store.snapshot('lobby')).toEqual(snapshot([], 0));
    expect(outlet.calls).toEqual([
      ['toRoom', 'lobby', { room: 'lobby', joined: memberOf(alice), version: 1 }, 'alice'],
      ['toConnection', 'alice', { room: 'lobby', members: [] }],
      ['toRoom', 'lobby', { room: 'lobby', left: { id: 'alice' }, version: 2 }, null],
    ]);
  });

  it('members(room) lists the store snapshot as {value, partial}', async () => {
    coordinator.joined(alice, 'lobby', undefined);
    coordinator.joined(bob, 'lobby', undefined);
    const result = await settled(coordinator.members('lobby'));
    expect(result).toEqual({ value: [memberOf(alice), memberOf(bob)], partial: false });
    // A copy: changing it changes nothing in the store.
    result.value.pop();
    expect(store.snapshot('lobby').members).toHaveLength(2);
    await expect(settled(coordinator.members('kitchen'))).resolves.toEqual({
      value: [],
      partial: false,
    });
  });

  it('idle() resolves at once when nothing is pending', async () => {
    coordinator.joined(alice, 'lobby', undefined);
    coordinator.left('alice', 'lobby', false);
    const idle = watch(coordinator.idle());
    await flush();
    expect(idle.done).toBe(true);
  });

  describe('store events', () => {
    it('removed: the room hears `left` of a member this node does not track', () => {
      coordinator.joined(alice, 'lobby', undefined);
      outlet.calls.length = 0;
      store.events!.removed('lobby', 'remote-1', 7);
      expect(outlet.calls).toEqual([
        ['toRoom', 'lobby', { room: 'lobby', left: { id: 'remote-1' }, version: 7 }, null],
      ]);
    });

    it('removed: nothing is announced for a member this node still tracks in that room', () => {
      coordinator.joined(alice, 'lobby', undefined);
      outlet.calls.length = 0;
      store.events!.removed('lobby', 'alice', 8);
      expect(outlet.calls).toEqual([]);
      expect(tracker.has('alice', 'lobby')).toBe(true);
    });

    it('removed: a local member of another room only is announced as having left', () => {
      coordinator.joined(alice, 'games', undefined);
      outlet.calls.length = 0;
      store.events!.removed('lobby', 'alice', 3);
      expect(outlet.calls).toEqual([
        ['toRoom', 'lobby', { room: 'lobby', left: { id: 'alice' }, version: 3 }, null],
      ]);
    });

    it('removed: an unnumbered removal (version 0) carries no version', () => {
      store.events!.removed('lobby', 'remote-1', 0);
      expect(outlet.calls).toEqual([
        ['toRoom', 'lobby', { room: 'lobby', left: { id: 'remote-1' } }, null],
      ]);
      expect(outlet.calls[0][2]).not.toHaveProperty('version');
    });

    it('lost: every tracked member is recorded again and announced as joined to its room', () => {
      coordinator.joined(alice, 'lobby', undefined);
      coordinator.joined(bob, 'lobby', undefined);
      coordinator.joined(alice, 'games', undefined);
      coordinator.left('bob', 'lobby', false);
      const add = jest.spyOn(store, 'add');
      outlet.calls.length = 0;

      store.events!.lost();
      expect(add.mock.calls).toEqual([
        ['lobby', memberOf(alice)],
        ['games', memberOf(alice)],
      ]);
      // The members were still in the memory store: recording them again is a change each.
      expect(outlet.calls).toEqual([
        ['toRoom', 'lobby', { room: 'lobby', joined: memberOf(alice), version: 4 }, 'alice'],
        ['toRoom', 'games', { room: 'games', joined: memberOf(alice), version: 2 }, 'alice'],
      ]);
    });

    it('lost with no member tracked asks the store nothing', () => {
      const add = jest.spyOn(store, 'add');
      store.events!.lost();
      expect(add).not.toHaveBeenCalled();
      expect(outlet.calls).toEqual([]);
    });
  });

  describe('a store that throws synchronously', () => {
    const boom = new Error('store exploded');

    it('a failing add is reported through the outlet, not thrown, and nothing is announced', () => {
      jest.spyOn(store, 'add').mockImplementation(() => {
        throw boom;
      });
      let result: Promise<void> | undefined;
      expect(() => (result = coordinator.joined(alice, 'lobby', undefined))).not.toThrow();
      expect(result).toBeUndefined();
      expect(outlet.calls).toEqual([['failed', boom]]);
    });

    it('a failing remove is reported through the outlet, not thrown', () => {
      coordinator.joined(alice, 'lobby', undefined);
      outlet.calls.length = 0;
      jest.spyOn(store, 'remove').mockImplementation(() => {
        throw boom;
      });
      let result: Promise<void> | undefined;
      expect(() => (result = coordinator.left('alice', 'lobby', true))).not.toThrow();
      expect(result).toBeUndefined();
      expect(outlet.calls).toEqual([
        ['toConnection', 'alice', { room: 'lobby', members: [] }],
        ['failed', boom],
      ]);
      expect(tracker.has('alice', 'lobby')).toBe(false);
    });

    it('a failing add while recording again after `lost` is reported for each member', () => {
      coordinator.joined(alice, 'lobby', undefined);
      coordinator.joined(bob, 'games', undefined);
      outlet.calls.length = 0;
      jest.spyOn(store, 'add').mockImplementation(() => {
        throw boom;
      });
      expect(() => store.events!.lost()).not.toThrow();
      expect(outlet.calls).toEqual([
        ['failed', boom],
        ['failed', boom],
      ]);
    });

    it('a failing add after routed settles is reported, and the next step still runs', async () => {
      const add = jest.spyOn(store, 'add').mockImplementationOnce(() => {
        throw boom;
      });
      const routed = deferred<void>();
      const join = coordinator.joined(alice, 'lobby', routed.promise);
      coordinator.left('alice', 'lobby', false);
      coordinator.joined(alice, 'lobby', undefined);
      routed.resolve();
      await flush();
      await expect(settled(join)).resolves.toBeUndefined();
      expect(add).toHaveBeenCalledTimes(2);
      expect(outlet.calls[0]).toEqual(['failed', boom]);
      // The leave's remove found nothing (the add failed): no `left` announced; the rejoin ran.
      expect(outlet.calls.slice(1)).toEqual([
        ['toRoom', 'lobby', { room: 'lobby', joined: memberOf(alice), version: 1 }, 'alice'],
        ['toConnection', 'alice', { room: 'lobby', members: [memberOf(alice)], version: 1 }],
      ]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// With an asynchronous store
// ---------------------------------------------------------------------------------------------

describe('PresenceCoordinator with an asynchronous store', () => {
  let tracker: PresenceTracker;
  let store: DeferredPresenceStore;
  let outlet: RecordingOutlet;
  let coordinator: PresenceCoordinator;

  beforeEach(() => {
    tracker = createTracker();
    store = new DeferredPresenceStore();
    outlet = new RecordingOutlet();
    coordinator = new PresenceCoordinator(tracker, store, outlet);
  });

  it('a join resolves once the store recorded it and the room heard it', async () => {
    const join = coordinator.joined(alice, 'lobby', undefined);
    expect(join).toBeInstanceOf(Promise);
    const finished = watch(join);
    expect(store.log()).toEqual(['add lobby alice']);
    await flush();
    expect(finished.done).toBe(false);
    expect(outlet.calls).toEqual([]);

    store.pendingAdd('lobby', 'alice').resolve(snapshot([memberOf(bob), memberOf(alice)], 12));
    await flush();
    expect(finished.done).toBe(true);
    expect(outlet.calls).toEqual([
      ['toRoom', 'lobby', { room: 'lobby', joined: memberOf(alice), version: 12 }, 'alice'],
      [
        'toConnection',
        'alice',
        { room: 'lobby', members: [memberOf(bob), memberOf(alice)], version: 12 },
      ],
    ]);
  });

  it('a leave issued while the join is being recorded reaches the store only after the add', async () => {
    coordinator.joined(alice, 'lobby', undefined);
    const leave = coordinator.left('alice', 'lobby', true);
    expect(leave).toBeInstanceOf(Promise);
    const finished = watch(leave);
    await flush();
    // Not even the leaver's empty list goes out before the join's step is done.
    expect(store.log()).toEqual(['add lobby alice']);
    expect(outlet.calls).toEqual([]);

    store.pendingAdd('lobby', 'alice').resolve(snapshot([memberOf(alice)], 4));
    await flush();
    expect(store.log()).toEqual(['add lobby alice', 'remove lobby alice']);
    expect(finished.done).toBe(false);

    store.pendingRemove('lobby', 'alice').resolve(5);
    await flush();
    expect(finished.done).toBe(true);
    expect(outlet.calls).toEqual([
      ['toRoom', 'lobby', { room: 'lobby', joined: memberOf(alice), version: 4 }, 'alice'],
      // Left before its list arrived: no list, only the empty one of the leave.
      ['toConnection', 'alice', { room: 'lobby', members: [] }],
      ['toRoom', 'lobby', { room: 'lobby', left: { id: 'alice' }, version: 5 }, null],
    ]);
  });

  it('a joiner that closed before its list arrived gets no list at all', async () => {
    coordinator.joined(alice, 'lobby', undefined);
    coordinator.left('alice', 'lobby', false);
    store.pendingAdd('lobby', 'alice').resolve(snapshot([memberOf(alice)], 1));
    await flush();
    store.pendingRemove('lobby', 'alice').resolve(2);
    await flush();
    expect(outlet.calls.filter((call) => call[0] === 'toConnection')).toEqual([]);
    expect(outlet.calls).toEqual([
      ['toRoom', 'lobby', { room: 'lobby', joined: memberOf(alice), version: 1 }, 'alice'],
      ['toRoom', 'lobby', { room: 'lobby', left: { id: 'alice' }, version: 2 }, null],
    ]);
  });

  it('join, leave, join again: the store sees add, remove, add in that order', async () => {
    coordinator.joined(alice, 'lobby', undefined);
    coordinator.left('alice', 'lobby', true);
    coordinator.joined(alice, 'lobby', undefined);
    await flush();
    expect(store.log()).toEqual(['add lobby alice']);
    store.pendingAdd('lobby', 'alice').resolve(snapshot([memberOf(alice)], 1));
    await flush();
    expect(store.log()).toEqual(['add lobby alice', 'remove lobby alice']);
    store.pendingRemove('lobby', 'alice').resolve(2);
    await flush();
    expect(store.log()).toEqual(['add lobby alice', 'remove lobby alice', 'add lobby alice']);
    store.pendingAdd('lobby', 'alice').resolve(snapshot([memberOf(alice)], 3));
    await flush();
    // The last thing the joiner hears is its list as of the rejoin.
    expect(outlet.calls[outlet.calls.length - 1]).toEqual([
      'toConnection',
      'alice',
      { room: 'lobby', members: [memberOf(alice)], version: 3 },
    ]);
    expect(tracker.has('alice', 'lobby')).toBe(true);
  });

  it('steps of other connections or rooms do not wait for a pending one', () => {
    coordinator.joined(alice, 'lobby', undefined);
    coordinator.joined(bob, 'lobby', undefined);
    coordinator.joined(alice, 'games', undefined);
    expect(store.log()).toEqual(['add lobby alice', 'add lobby bob', 'add games alice']);
  });

  it('awaits `routed` before calling store.add', async () => {
    const routed = deferred<void>();
    coordinator.joined(alice, 'lobby', routed.promise);
    await flush();
    await flush();
    expect(store.log()).toEqual([]);

    routed.resolve();
    await flush();
    expect(store.log()).toEqual(['add lobby alice']);
  });

  it('a rejected `routed` still records and announces the member, without a failure', async () => {
    const routed = deferred<void>();
    const join = coordinator.joined(alice, 'lobby', routed.promise);
    routed.reject(new Error('subscription failed'));
    await flush();
    expect(store.log()).toEqual(['add lobby alice']);
    store.pendingAdd('lobby', 'alice').resolve(snapshot([memberOf(alice)], 1));
    await expect(settled(join)).resolves.toBeUndefined();
    expect(outlet.failures()).toEqual([]);
    expect(outlet.calls).toEqual([
      ['toRoom', 'lobby', { room: 'lobby', joined: memberOf(alice), version: 1 }, 'alice'],
      ['toConnection', 'alice', { room: 'lobby', members: [memberOf(alice)], version: 1 }],
    ]);
  });

  it('a leave while `routed` is pending waits for routed and the add, then removes', async () => {
    const routed = deferred<void>();
    coordinator.joined(alice, 'lobby', routed.promise);
    coordinator.left('alice', 'lobby', false);
    await flush();
    expect(store.log()).toEqual([]);
    routed.resolve();
    await flush();
    expect(store.log()).toEqual(['add lobby alice']);
    store.pendingAdd('lobby', 'alice').resolve(snapshot([memberOf(alice)], 1));
    await flush();
    expect(store.log()).toEqual(['add lobby alice', 'remove lobby alice']);
  });

  describe('versions', () => {
    it('are left out when the store could not number the change (0)', async () => {
      coordinator.joined(alice, 'lobby', undefined);
      store.pendingAdd('lobby', 'alice').resolve(snapshot([memberOf(alice)], 0));
      await flush();
      coordinator.left('alice', 'lobby', false);
      store.pendingRemove('lobby', 'alice').resolve(0);
      await flush();
      expect(outlet.calls).toEqual([
        ['toRoom', 'lobby', { room: 'lobby', joined: memberOf(alice) }, 'alice'],
        ['toConnection', 'alice', { room: 'lobby', members: [memberOf(alice)] }],
        ['toRoom', 'lobby', { room: 'lobby', left: { id: 'alice' } }, null],
      ]);
      for (const call of outlet.calls) expect(call[2]).not.toHaveProperty('version');
    });

    it('are carried as the store numbered them otherwise', async () => {
      coordinator.joined(alice, 'lobby', undefined);
      store.pendingAdd('lobby', 'alice').resolve(snapshot([memberOf(alice)], 1));
      await flush();
      coordinator.left('alice', 'lobby', false);
      store.pendingRemove('lobby', 'alice').resolve(9_007_199_254_740_991);
      await flush();
      expect(outlet.calls.map((call) => (call[2] as { version?: number }).version)).toEqual([
        1, 1, 9_007_199_254_740_991,
      ]);
    });

    it('a removal the store did not know of (null) is not announced', async () => {
      coordinator.joined(alice, 'lobby', undefined);
      store.pendingAdd('lobby', 'alice').resolve(snapshot([memberOf(alice)], 1));
      await flush();
      outlet.calls.length = 0;
      const leave = coordinator.left('alice', 'lobby', true);
      store.pendingRemove('lobby', 'alice').resolve(null);
      await expect(settled(leave)).resolves.toBeUndefined();
      expect(outlet.calls).toEqual([['toConnection', 'alice', { room: 'lobby', members: [] }]]);
    });
  });

  describe('store events', () => {
    it('removed: announces `left` only for members this node does not track', async () => {
      coordinator.joined(alice, 'lobby', undefined);
      store.pendingAdd('lobby', 'alice').resolve(snapshot([memberOf(alice)], 1));
      await flush();
      outlet.calls.length = 0;

      store.events!.removed('lobby', 'alice', 2);
      store.events!.removed('lobby', 'remote', 3);
      store.events!.removed('games', 'alice', 4);
      expect(outlet.calls).toEqual([
        ['toRoom', 'lobby', { room: 'lobby', left: { id: 'remote' }, version: 3 }, null],
        ['toRoom', 'games', { room: 'games', left: { id: 'alice' }, version: 4 }, null],
      ]);
      expect(store.log()).toEqual(['add lobby alice']);
    });

    it('lost: records every tracked member again and announces `joined` with the new version', async () => {
      coordinator.joined(alice, 'lobby', undefined);
      coordinator.joined(bob, 'lobby', undefined);
      coordinator.joined(carol, 'games', undefined);
      store.pendingAdd('lobby', 'alice').resolve(snapshot([memberOf(alice)], 1));
      store.pendingAdd('lobby', 'bob').resolve(snapshot([memberOf(alice), memberOf(bob)], 2));
      store.pendingAdd('games', 'carol').resolve(snapshot([memberOf(carol)], 1));
      await flush();
      outlet.calls.length = 0;
      store.calls.length = 0;

      store.events!.lost();
      expect(store.log()).toEqual(['add lobby alice', 'add lobby bob', 'add games carol']);
      store.pendingAdd('games', 'carol').resolve(snapshot([memberOf(carol)], 10));
      store.pendingAdd('lobby', 'bob').resolve(snapshot([memberOf(bob)], 20));
      store.pendingAdd('lobby', 'alice').resolve(snapshot([memberOf(bob), memberOf(alice)], 21));
      await flush();
      // Only the room hears it (except the member itself): no list goes to anyone.
      expect(outlet.calls).toEqual([
        ['toRoom', 'games', { room: 'games', joined: memberOf(carol), version: 10 }, 'carol'],
        ['toRoom', 'lobby', { room: 'lobby', joined: memberOf(bob), version: 20 }, 'bob'],
        ['toRoom', 'lobby', { room: 'lobby', joined: memberOf(alice), version: 21 }, 'alice'],
      ]);
    });

    it('lost: a member that left before it was recorded again is not announced', async () => {
      coordinator.joined(alice, 'lobby', undefined);
      store.pendingAdd('lobby', 'alice').resolve(snapshot([memberOf(alice)], 1));
      await flush();
      outlet.calls.length = 0;

      store.events!.lost();
      coordinator.left('alice', 'lobby', false);
      store.pendingAdd('lobby', 'alice').resolve(snapshot([memberOf(alice)], 2));
      await flush();
      expect(store.log()).toEqual(['add lobby alice', 'add lobby alice', 'remove lobby alice']);
      store.pendingRemove('lobby', 'alice').resolve(3);
      await flush();
      expect(outlet.calls).toEqual([
        ['toRoom', 'lobby', { room: 'lobby', left: { id: 'alice' }, version: 3 }, null],
      ]);
    });

    it('lost while a join is pending: the member is recorded again after its join', async () => {
      coordinator.joined(alice, 'lobby', undefined);
      store.events!.lost();
      await flush();
      expect(store.log()).toEqual(['add lobby alice']);
      store.pendingAdd('lobby', 'alice').resolve(snapshot([memberOf(alice)], 1));
      await flush();
      expect(store.log()).toEqual(['add lobby alice', 'add lobby alice']);
    });
  });

  it('members(room) maps the snapshot to {value, partial}', async () => {
    const read = coordinator.members('lobby');
    const members = [memberOf(alice), memberOf(bob)];
    store.pendingSnapshot('lobby').resolve(snapshot(members, 5, true));
    const result = await settled(read);
    expect(result).toEqual({ value: members, partial: true });
    expect(result).not.toHaveProperty('version');
    expect(result.value).not.toBe(members);
  });

  it('members(room) rejects with the store failure', async () => {
    const read = coordinator.members('lobby');
    store.pendingSnapshot('lobby').reject(new Error('unreachable'));
    await expect(settled(read)).rejects.toThrow('unreachable');
  });

  describe('idle()', () => {
    it('resolves only after every pending step finished', async () => {
      coordinator.joined(alice, 'lobby', undefined);
      coordinator.joined(bob, 'games', undefined);
      const idle = watch(coordinator.idle());
      await flush();
      expect(idle.done).toBe(false);

      store.pendingAdd('lobby', 'alice').resolve(snapshot([memberOf(alice)], 1));
      await flush();
      expect(idle.done).toBe(false);

      store.pendingAdd('games', 'bob').resolve(snapshot([memberOf(bob)], 1));
      await flush();
      expect(idle.done).toBe(true);
    });

    it('also waits for steps chained after it was called', async () => {
      coordinator.joined(alice, 'lobby', undefined);
      const idle = watch(coordinator.idle());
      coordinator.left('alice', 'lobby', false);
      store.pendingAdd('lobby', 'alice').resolve(snapshot([memberOf(alice)], 1));
      await flush();
      expect(store.log()).toEqual(['add lobby alice', 'remove lobby alice']);
      expect(idle.done).toBe(false);

      store.pendingRemove('lobby', 'alice').resolve(2);
      await flush();
      expect(idle.done).toBe(true);
    });

    it('also waits for steps started after the earlier ones finished', async () => {
      coordinator.joined(alice, 'lobby', undefined);
      const idle = watch(coordinator.idle());
      let started = false;
      // A new step begins in the same turn the first one finishes.
      void store.calls[0].answer.promise.then(() => {
        started = true;
        coordinator.joined(bob, 'lobby', undefined);
      });
      store.pendingAdd('lobby', 'alice').resolve(snapshot([memberOf(alice)], 1));
      await flush();
      expect(started).toBe(true);
      expect(idle.done).toBe(false);
      store.pendingAdd('lobby', 'bob').resolve(snapshot([memberOf(alice), memberOf(bob)], 2));
      await flush();
      expect(idle.done).toBe(true);
    });

    it('resolves after a step that failed, reporting the failure', async () => {
      coordinator.joined(alice, 'lobby', undefined);
      const idle = watch(coordinator.idle());
      const failure = new Error('add failed');
      store.pendingAdd('lobby', 'alice').reject(failure);
      await flush();
      expect(idle.done).toBe(true);
      expect(outlet.calls).toEqual([['failed', failure]]);
    });
  });

  describe('failures', () => {
    it('a rejected add is reported; the leave chained after it still runs', async () => {
      const join = coordinator.joined(alice, 'lobby', undefined);
      const leave = coordinator.left('alice', 'lobby', true);
      const failure = new Error('add failed');
      store.pendingAdd('lobby', 'alice').reject(failure);
      await expect(settled(join)).resolves.toBeUndefined();
      await flush();
      expect(store.log()).toEqual(['add lobby alice', 'remove lobby alice']);
      store.pendingRemove('lobby', 'alice').resolve(null);
      await expect(settled(leave)).resolves.toBeUndefined();
      expect(outlet.calls).toEqual([
        ['failed', failure],
        ['toConnection', 'alice', { room: 'lobby', members: [] }],
      ]);
    });

    it('a store that throws synchronously in a chained step is reported, not thrown', async () => {
      const failure = new Error('remove threw');
      const remove = jest.spyOn(store, 'remove').mockImplementation(() => {
        throw failure;
      });
      const join = coordinator.joined(alice, 'lobby', undefined);
      const leave = coordinator.left('alice', 'lobby', false);
      store.pendingAdd('lobby', 'alice').resolve(snapshot([memberOf(alice)], 1));
      await expect(settled(join)).resolves.toBeUndefined();
      await expect(settled(leave)).resolves.toBeUndefined();
      expect(remove).toHaveBeenCalledTimes(1);
      expect(outlet.failures()).toEqual([failure]);
    });

    it('a store that throws synchronously on the first step is reported, not thrown', () => {
      const failure = new Error('add threw');
      jest.spyOn(store, 'add').mockImplementation(() => {
        throw failure;
      });
      let result: Promise<void> | undefined;
      expect(() => (result = coordinator.joined(alice, 'lobby', undefined))).not.toThrow();
      expect(result).toBeUndefined();
      expect(outlet.calls).toEqual([['failed', failure]]);
      // Nothing left pending.
      const idle = watch(coordinator.idle());
      return flush().then(() => expect(idle.done).toBe(true));
    });
  });
});
