import { MAX_REMEMBERED_DELTAS, parsePresence, PresenceView } from './presence-view';

const member = (id: string, name = id) => ({ id, meta: { name } });

describe('PresenceView', () => {
  it('keeps members by room in join order from joined, left and members events', () => {
    const view = new PresenceView();
    expect(view.apply({ room: 'lobby', members: [member('a'), member('b')] })).toEqual({
      type: 'members',
      room: 'lobby',
      members: [member('a'), member('b')],
    });
    expect(view.apply({ room: 'lobby', joined: member('c') })).toEqual({
      type: 'joined',
      room: 'lobby',
      member: member('c'),
    });
    expect(view.apply({ room: 'lobby', left: { id: 'a' } })).toEqual({
      type: 'left',
      room: 'lobby',
      id: 'a',
    });
    expect(view.members('lobby')).toEqual([member('b'), member('c')]);
    expect(view.members('other')).toEqual([]);
  });

  it('replaces the list on a members event and drops a room that becomes empty', () => {
    const view = new PresenceView();
    view.apply({ room: 'r', members: [member('a')] });
    view.apply({ room: 'r', members: [member('b')] });
    expect(view.members('r')).toEqual([member('b')]);
    view.apply({ room: 'r', left: { id: 'b' } });
    expect(view.roomNames()).toEqual([]);
    view.apply({ room: 's', members: [member('a')] });
    view.apply({ room: 's', members: [] });
    expect(view.roomNames()).toEqual([]);
  });

  it('updates the metadata of a member that joins again, keeping its place', () => {
    const view = new PresenceView();
    view.apply({ room: 'r', members: [member('a'), member('b')] });
    view.apply({ room: 'r', joined: member('a', 'renamed') });
    expect(view.members('r')).toEqual([member('a', 'renamed'), member('b')]);
  });

  it('gives copies that cannot change the view', () => {
    const view = new PresenceView();
    view.apply({ room: 'r', members: [member('a')] });
    const members = view.members('r');
    members.pop();
    expect(view.members('r')).toHaveLength(1);
    expect(Object.isFrozen(view.members('r')[0].meta)).toBe(true);
  });

  it('clears every room, returning their names', () => {
    const view = new PresenceView();
    view.apply({ room: 'r', members: [member('a')] });
    view.apply({ room: 's', joined: member('b') });
    expect(view.clear()).toEqual(['r', 's']);
    expect(view.members('r')).toEqual([]);
  });

  it('defaults missing metadata to an empty object', () => {
    expect(parsePresence({ room: 'r', joined: { id: 'a' } })).toEqual({
      type: 'joined',
      room: 'r',
      member: { id: 'a', meta: {} },
    });
  });

  it.each([
    ['a string', 'x'],
    ['no room', { joined: member('a') }],
    ['a joined member without id', { room: 'r', joined: { meta: {} } }],
    ['metadata that is not an object', { room: 'r', joined: { id: 'a', meta: 'x' } }],
    ['a left without id', { room: 'r', left: {} }],
    ['a bad member in a list', { room: 'r', members: [member('a'), 1] }],
    ['no change at all', { room: 'r' }],
  ])('refuses a payload with %s, leaving the view as it was', (_, payload) => {
    const view = new PresenceView();
    view.apply({ room: 'r', members: [member('a')] });
    expect(view.apply(payload as never)).toBeUndefined();
    expect(view.members('r')).toEqual([member('a')]);
  });
});

describe('PresenceView with versions', () => {
  const ids = (view: PresenceView, room = 'r') => view.members(room).map(({ id }) => id);

  it('passes the version on with the change', () => {
    expect(parsePresence({ room: 'r', joined: member('a'), version: 3 })).toEqual({
      type: 'joined',
      room: 'r',
      member: member('a'),
      version: 3,
    });
    expect(parsePresence({ room: 'r', left: { id: 'a' }, version: 4 })).toEqual({
      type: 'left',
      room: 'r',
      id: 'a',
      version: 4,
    });
    expect(parsePresence({ room: 'r', members: [], version: Number.MAX_SAFE_INTEGER })).toEqual({
      type: 'members',
      room: 'r',
      members: [],
      version: Number.MAX_SAFE_INTEGER,
    });
  });

  it('gives no version field to a change without one', () => {
    expect(parsePresence({ room: 'r', joined: member('a') })).not.toHaveProperty('version');
  });

  it.each([
    ['zero', 0],
    ['a negative number', -1],
    ['a fraction', 1.5],
    ['an unsafe integer', Number.MAX_SAFE_INTEGER + 1],
    ['a string', '3'],
    ['null', null],
  ])('refuses a version that is %s, leaving the view as it was', (_, version) => {
    const view = new PresenceView();
    view.apply({ room: 'r', members: [member('a')], version: 1 });
    for (const change of [{ joined: member('b') }, { left: { id: 'a' } }, { members: [] }]) {
      const payload = { room: 'r', ...change, version };
      expect(parsePresence(payload as never)).toBeUndefined();
      expect(view.apply(payload as never)).toBeUndefined();
    }
    expect(ids(view)).toEqual(['a']);
  });

  it('ignores a delta that the last member list already includes, without reporting it', () => {
    const view = new PresenceView();
    view.apply({ room: 'r', members: [member('a'), member('b')], version: 5 });
    expect(view.apply({ room: 'r', left: { id: 'b' }, version: 5 })).toBeUndefined();
    expect(view.apply({ room: 'r', joined: member('c'), version: 4 })).toBeUndefined();
    expect(ids(view)).toEqual(['a', 'b']);
    expect(view.apply({ room: 'r', joined: member('c'), version: 6 })).toEqual({
      type: 'joined',
      room: 'r',
      member: member('c'),
      version: 6,
    });
    expect(ids(view)).toEqual(['a', 'b', 'c']);
  });

  it('keeps a newer join heard before the member list, which is returned as it ends up', () => {
    const view = new PresenceView();
    // This client subscribed to the room, heard c join (v8), then got the list as of v7.
    expect(view.apply({ room: 'r', joined: member('c'), version: 8 })).toMatchObject({
      type: 'joined',
    });
    expect(view.apply({ room: 'r', members: [member('a'), member('me')], version: 7 })).toEqual({
      type: 'members',
      room: 'r',
      members: [member('a'), member('me'), member('c')],
      version: 7,
    });
    expect(ids(view)).toEqual(['a', 'me', 'c']);
  });

  it('keeps a newer leave heard before the member list', () => {
    const view = new PresenceView();
    view.apply({ room: 'r', left: { id: 'a' }, version: 8 });
    const change = view.apply({ room: 'r', members: [member('a'), member('me')], version: 7 });
    expect(change).toEqual({ type: 'members', room: 'r', members: [member('me')], version: 7 });
    expect(ids(view)).toEqual(['me']);
  });

  it('replays the newer deltas in the order received, not those the list includes', () => {
    const view = new PresenceView();
    view.apply({ room: 'r', joined: member('x'), version: 6 }); // included: x then left at v7
    view.apply({ room: 'r', joined: member('d'), version: 10 });
    view.apply({ room: 'r', joined: member('c'), version: 9 });
    view.apply({ room: 'r', left: { id: 'a' }, version: 11 });
    view.apply({ room: 'r', members: [member('a'), member('b'), member('me')], version: 8 });
    expect(ids(view)).toEqual(['b', 'me', 'd', 'c']);
  });

  it('applies out-of-order deltas of different members', () => {
    const view = new PresenceView();
    view.apply({ room: 'r', members: [member('me'), member('a')], version: 1 });
    view.apply({ room: 'r', joined: member('c'), version: 4 });
    view.apply({ room: 'r', left: { id: 'a' }, version: 3 });
    view.apply({ room: 'r', joined: member('b'), version: 2 });
    expect(ids(view)).toEqual(['me', 'c', 'b']);
  });

  it('ignores a delta of a member older than one of the same member already applied', () => {
    const view = new PresenceView();
    view.apply({ room: 'r', members: [member('me')], version: 1 });
    view.apply({ room: 'r', left: { id: 'a' }, version: 3 });
    expect(view.apply({ room: 'r', joined: member('a'), version: 2 })).toBeUndefined();
    view.apply({ room: 'r', joined: member('b', 'new'), version: 5 });
    expect(view.apply({ room: 'r', joined: member('b', 'old'), version: 4 })).toBeUndefined();
    expect(view.apply({ room: 'r', joined: member('b', 'new'), version: 5 })).toBeUndefined();
    expect(view.members('r')).toEqual([member('me'), member('b', 'new')]);
  });

  it('ignores a member list older than the last one, and replays over an equal one', () => {
    const view = new PresenceView();
    view.apply({ room: 'r', members: [member('a'), member('me')], version: 7 });
    view.apply({ room: 'r', joined: member('b'), version: 8 });
    const older = { room: 'r', members: [member('old'), member('me')], version: 6 };
    expect(view.apply(older)).toBeUndefined();
    expect(ids(view)).toEqual(['a', 'me', 'b']);
    view.apply({ room: 'r', members: [member('me'), member('a')], version: 7 });
    expect(ids(view)).toEqual(['me', 'a', 'b']);
  });

  it('forgets the room and its versions when this client leaves, whatever the version', () => {
    const view = new PresenceView();
    view.apply({ room: 'r', members: [member('a'), member('me')], version: 7 });
    view.apply({ room: 'r', joined: member('b'), version: 9 });
    expect(view.apply({ room: 'r', members: [], version: 2 })).toEqual({
      type: 'members',
      room: 'r',
      members: [],
      version: 2,
    });
    expect(view.roomNames()).toEqual([]);
    // Nothing remembered: a list of a lower version applies and nothing is replayed over it.
    view.apply({ room: 'r', members: [member('me')], version: 1 });
    expect(ids(view)).toEqual(['me']);
  });

  it('forgets every version on clear()', () => {
    const view = new PresenceView();
    view.apply({ room: 'r', members: [member('me')], version: 7 });
    view.apply({ room: 's', joined: member('b'), version: 9 });
    expect(view.clear()).toEqual(['r', 's']);
    view.apply({ room: 'r', joined: member('a'), version: 3 });
    view.apply({ room: 's', members: [member('me')], version: 8 });
    expect(ids(view, 'r')).toEqual(['a']);
    expect(ids(view, 's')).toEqual(['me']);
  });

  it('remembers at most MAX_REMEMBERED_DELTAS deltas per room, dropping the oldest', () => {
    const replayed = (extra: number) => {
      const view = new PresenceView();
      view.apply({ room: 'r', joined: member('first'), version: 2 });
      view.apply({ room: 'other', joined: member('o'), version: 2 });
      for (let i = 0; i < extra; i += 1) {
        view.apply({ room: 'r', joined: member(`m${i}`), version: 3 + i });
      }
      view.apply({ room: 'r', members: [member('me')], version: 1 });
      view.apply({ room: 'other', members: [member('me')], version: 1 });
      return { r: ids(view), other: ids(view, 'other') };
    };
    const full = replayed(MAX_REMEMBERED_DELTAS - 1);
    expect(full.r).toHaveLength(MAX_REMEMBERED_DELTAS + 1);
    expect(full.r.slice(0, 2)).toEqual(['me', 'first']);
    const over = replayed(MAX_REMEMBERED_DELTAS);
    expect(over.r).toHaveLength(MAX_REMEMBERED_DELTAS + 1);
    expect(over.r.slice(0, 2)).toEqual(['me', 'm0']);
    // The cap is per room.
    expect(over.other).toEqual(['me', 'o']);
  });

  it('without versions, replaces the list and replays nothing, as older servers expect', () => {
    const view = new PresenceView();
    view.apply({ room: 'r', joined: member('c') });
    expect(view.apply({ room: 'r', members: [member('a')] })).toEqual({
      type: 'members',
      room: 'r',
      members: [member('a')],
    });
    expect(ids(view)).toEqual(['a']);
    view.apply({ room: 'r', left: { id: 'a' } });
    view.apply({ room: 'r', joined: member('a') });
    expect(ids(view)).toEqual(['a']);
  });

  it('drops what it remembered when a member list comes without a version', () => {
    const view = new PresenceView();
    view.apply({ room: 'r', members: [member('me')], version: 7 });
    view.apply({ room: 'r', joined: member('b'), version: 9 });
    view.apply({ room: 'r', members: [member('me')] });
    expect(ids(view)).toEqual(['me']);
    view.apply({ room: 'r', members: [member('me')], version: 3 });
    expect(ids(view)).toEqual(['me']);
    expect(view.apply({ room: 'r', joined: member('x'), version: 4 })).toBeDefined();
  });

  it('tells an ignored change from an invalid payload through parsePresence and applyChange', () => {
    const view = new PresenceView();
    view.apply({ room: 'r', members: [member('me')], version: 7 });
    const stale = parsePresence({ room: 'r', joined: member('b'), version: 6 });
    expect(stale).toBeDefined();
    expect(view.applyChange(stale!)).toBeUndefined();
    expect(ids(view)).toEqual(['me']);
  });
});
