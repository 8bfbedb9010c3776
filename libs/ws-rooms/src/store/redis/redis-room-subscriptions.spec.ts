import { RoomSubscriptions } from './redis-room-subscriptions';
import { FakeNode, fakeContext } from './redis-store.spec.support';

/** A subscriber connection that records the channels Redis was told about. */
function subscriber() {
  const channels = new Set<string>();
  return {
    channels,
    status: 'ready',
    subscribe: async (...names: string[]) => names.forEach((name) => channels.add(name)),
    unsubscribe: async (...names: string[]) => names.forEach((name) => channels.delete(name)),
  };
}

async function started(logged = false) {
  const context = fakeContext();
  const node = new FakeNode();
  node.ids.add('id-a');
  node.index.add('id-a', 'lobby');
  context.state.node = node;
  const connection = subscriber();
  const subscriptions = new RoomSubscriptions(context);
  await subscriptions.start(connection, node, logged);
  return { context, node, connection, subscriptions };
}

describe('RoomSubscriptions', () => {
  it('listens to the node-wide channels, each local connection and each room with a local member', async () => {
    const { connection, subscriptions, context } = await started(true);
    expect([...connection.channels].sort()).toEqual(
      ['t:all', 't:conn:id-a', 't:logged', 't:req', 't:res:me', 't:room:lobby'].sort(),
    );
    expect(subscriptions.connectionCount).toBe(1);
    expect(context.stats.subscriptions).toBe(6);
    expect((await started(false)).connection.channels.has('t:logged')).toBe(false);
  });

  it('a connection and a room of the same spelling have separate channels, released separately', async () => {
    const { connection, subscriptions, node } = await started();
    // A room spelled like the connection's id (a server that let it through): its own channel.
    node.index.add('id-a', 'id-a');
    await subscriptions.joined('id-a');
    expect(connection.channels.has('t:room:id-a')).toBe(true);
    expect(connection.channels.has('t:conn:id-a')).toBe(true);
    // Leaving the room keeps the connection's channel ...
    node.index.remove('id-a', 'id-a');
    subscriptions.left('id-a');
    await subscriptions.settled();
    expect(connection.channels.has('t:room:id-a')).toBe(false);
    expect(connection.channels.has('t:conn:id-a')).toBe(true);
    // ... and the connection going releases its channel, not a room's.
    node.index.add('id-b', 'id-a');
    await subscriptions.joined('id-a');
    node.ids.delete('id-a');
    subscriptions.disconnected('id-a', node.index.removeAll('id-a'));
    await subscriptions.settled();
    expect(connection.channels.has('t:conn:id-a')).toBe(false);
    expect(connection.channels.has('t:room:id-a')).toBe(true);
    expect(connection.channels.has('t:room:lobby')).toBe(false);
    expect(subscriptions.connectionCount).toBe(0);
  });

  it('keeps a room while it has a local member, and the confirmation of a join is awaitable', async () => {
    const { connection, subscriptions, node } = await started();
    node.ids.add('id-b');
    await subscriptions.connected('id-b');
    expect(subscriptions.connectionCount).toBe(2);
    node.index.add('id-b', 'lobby');
    expect(subscriptions.joined('lobby')).toBeUndefined(); // already confirmed
    node.index.remove('id-a', 'lobby');
    subscriptions.left('lobby');
    await subscriptions.settled();
    expect(connection.channels.has('t:room:lobby')).toBe(true);
    node.index.remove('id-b', 'lobby');
    subscriptions.left('lobby');
    await subscriptions.settled();
    expect(connection.channels.has('t:room:lobby')).toBe(false);
    expect(subscriptions.has('t:conn:id-b')).toBe(true);
  });

  it('before start, changes are left to start (which reads the node)', () => {
    const subscriptions = new RoomSubscriptions(fakeContext());
    expect(subscriptions.connected('id-x')).toBeUndefined();
    expect(subscriptions.joined('r')).toBeUndefined();
    expect(subscriptions.connectionCount).toBe(0);
    expect(subscriptions.has('t:conn:id-x')).toBe(false);
  });
});
