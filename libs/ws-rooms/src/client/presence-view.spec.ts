import { parsePresence, PresenceView } from './presence-view';

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
