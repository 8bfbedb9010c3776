import type { OutboundBroadcast } from '../room-store.interface';
import { PublishBudget } from './redis-publish-budget';
import { RedisPublisher } from './redis-publisher';
import { RedisReplies } from './redis-replies';
import { RoomSubscriptions } from './redis-room-subscriptions';
import { FakeNode, fakeContext } from './redis-store.spec.support';
import { decodeWire, encodeReply, WireKind } from './redis-wire';

const say = (rooms: readonly string[] | null, size = 3): OutboundBroadcast => ({
  message: Buffer.alloc(size, 0x61),
  binary: false,
  rooms,
  except: [],
  volatile: false,
});

function setup(options: { maxMessageBytes?: number; budget?: number } = {}) {
  const context = fakeContext(options);
  const node = new FakeNode();
  node.ids.add('id-here');
  context.state.node = node;
  const budget = new PublishBudget(options.budget ?? 1024 * 1024);
  const subscriptions = new RoomSubscriptions(context);
  const replies = new RedisReplies(context);
  const publisher = new RedisPublisher(context, budget, subscriptions, replies);
  return { context, node, budget, subscriptions, replies, publisher, client: context.fakeClient };
}

describe('RedisPublisher: broadcasts', () => {
  it('publishes once, on the one channel the targets need: an id, a room, or everyone', () => {
    const { publisher, client } = setup();
    publisher.publish(say(['id-there']));
    publisher.publish(say(['room']));
    publisher.publish(say(['room', 'other']));
    publisher.publish(say(null));
    publisher.publish(say([])); // nobody: nothing to send
    expect(client.published.map((entry) => entry.channel)).toEqual([
      't:conn:id-there',
      't:room:room',
      't:all',
      't:all',
    ]);
    const decoded = decodeWire(client.published[0].data);
    expect(decoded.ok && decoded.message.kind === WireKind.Broadcast).toBe(true);
  });

  it('drops and counts while Redis is not ready or owes more than the budget', async () => {
    const { publisher, client, context } = setup({ budget: 40 });
    client.status = 'reconnecting';
    publisher.publish(say(['room']));
    expect(context.stats.publishSkipped).toBe(1);
    client.status = 'ready';
    client.frozen = true; // accepted, never acknowledged
    publisher.publish(say(['room'], 30));
    publisher.publish(say(['room'], 30)); // the first already went over the budget
    expect(client.published).toHaveLength(1);
    expect(context.stats.publishSkipped).toBe(2);
    expect(context.stats.published).toBe(1);
    expect(context.failures).toEqual([
      'backlog: Redis is not acknowledging publishes: dropping broadcasts for other nodes',
    ]);
  });

  it('gives the budget back when Redis acknowledges', async () => {
    const { publisher, client, budget } = setup({ budget: 40 });
    publisher.publish(say(['room'], 60));
    expect(budget.exhausted).toBe(true);
    // The acknowledgement settles in a later turn of the event loop.
    await new Promise(setImmediate);
    expect(budget.exhausted).toBe(false);
    publisher.publish(say(['room'], 10));
    expect(client.published).toHaveLength(2);
  });

  it('does not send what the other nodes would drop, and counts it', () => {
    const { publisher, client, context } = setup({ maxMessageBytes: 4096 });
    publisher.publish(say(['room'], 4096));
    publisher.publish(say(Array.from({ length: 10_001 }, (_, i) => `r${i}`)));
    publisher.publish(say(['r'.repeat(4097)]));
    expect(client.published).toEqual([]);
    expect(context.stats.publishOverLimits).toBe(3);
  });

  it('sends nothing unless the store runs', () => {
    const { publisher, client, context } = setup();
    context.state.running = false;
    publisher.publish(say(['room']));
    expect(client.published).toEqual([]);
    expect(context.stats.publishSkipped).toBe(0);
  });
});

describe('RedisPublisher: commands', () => {
  it("sends a command on the connection's channel and resolves with the owner's answer", async () => {
    const { publisher, client, replies } = setup();
    const ran = publisher.sendRemote({ kind: 'leave', connectionId: 'id-there', room: 'r' });
    await Promise.resolve();
    const sent = decodeWire(client.published[0].data);
    if (!sent.ok || sent.message.kind !== WireKind.Command) throw new Error('not a command');
    expect(client.published[0].channel).toBe('t:conn:id-there');
    replies.received('owner', { id: sent.message.id, ran: true });
    expect(await ran).toBe(true);
  });

  it('resolves false at once when nobody listens on the channel', async () => {
    const { publisher, client, context } = setup();
    client.receivers.set('t:conn:id-nobody', 0);
    expect(
      await publisher.sendRemote({
        kind: 'disconnect',
        connectionId: 'id-nobody',
        code: 1000,
        reason: '',
      }),
    ).toBe(false);
    expect(context.stats.commandsSent).toBe(1);
  });

  it('runs a command for a local connection and answers whether it ran', async () => {
    const { publisher, client, node, context } = setup();
    await publisher.run('asker', 7, { kind: 'join', connectionId: 'id-here', room: 'r' }, node);
    await publisher.run('asker', 8, { kind: 'join', connectionId: 'id-gone', room: 'r' }, node);
    expect(node.ran).toEqual([{ kind: 'join', connectionId: 'id-here', room: 'r' }]);
    expect(context.stats.commandsRun).toBe(1);
    expect(client.publishedOn('t:res:asker')).toEqual([
      encodeReply('me', { id: 7, ran: true }),
      encodeReply('me', { id: 8, ran: false }),
    ]);
  });

  it('answers false, and logs, when running the command throws', async () => {
    const { publisher, client, node, context } = setup();
    node.runLocally = () => {
      throw new Error('boom');
    };
    await publisher.run('asker', 9, { kind: 'leave', connectionId: 'id-here', room: 'r' }, node);
    expect(client.publishedOn('t:res:asker')).toEqual([encodeReply('me', { id: 9, ran: false })]);
    expect(context.failures).toEqual([
      expect.stringContaining('command: running a remote leave failed: Error: boom'),
    ]);
  });
});
