import { ChannelSubscriptions, type SubscriberConnection } from './channel-subscriptions';

/** Records the commands; each resolves when the test says so (or at once). */
class FakeConnection implements SubscriberConnection {
  status = 'ready';
  readonly commands: string[] = [];
  autoReply = true;
  private readonly waiting: (() => void)[] = [];

  subscribe(...channels: string[]): Promise<unknown> {
    return this.record(`SUBSCRIBE ${channels.join(' ')}`);
  }

  unsubscribe(...channels: string[]): Promise<unknown> {
    return this.record(`UNSUBSCRIBE ${channels.join(' ')}`);
  }

  replyAll(): void {
    for (const reply of this.waiting.splice(0)) reply();
  }

  private record(command: string): Promise<unknown> {
    this.commands.push(command);
    if (this.autoReply) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('ChannelSubscriptions', () => {
  it('batches the changes of one event-loop turn into one SUBSCRIBE', async () => {
    const connection = new FakeConnection();
    const subscriptions = new ChannelSubscriptions(connection, 1000, jest.fn());
    const confirmations = ['a', 'b', 'c'].map((channel) => subscriptions.add(channel));
    expect(confirmations.every((confirmation) => confirmation instanceof Promise)).toBe(true);
    expect(connection.commands).toEqual([]);
    await Promise.all(confirmations);
    expect(connection.commands).toEqual(['SUBSCRIBE a b c']);
    expect(subscriptions.size).toBe(3);
  });

  it('a join and a leave of the same channel in one turn cost nothing; a wanted channel costs nothing again', async () => {
    const connection = new FakeConnection();
    const subscriptions = new ChannelSubscriptions(connection, 1000, jest.fn());
    await subscriptions.add('a');
    expect(subscriptions.add('a')).toBeUndefined(); // already confirmed
    subscriptions.add('b');
    subscriptions.remove('b');
    await subscriptions.settled();
    expect(connection.commands).toEqual(['SUBSCRIBE a', 'UNSUBSCRIBE b']);
    subscriptions.remove('a');
    await subscriptions.settled();
    expect(connection.commands).toEqual(['SUBSCRIBE a', 'UNSUBSCRIBE b', 'UNSUBSCRIBE a']);
    expect(subscriptions.has('a')).toBe(false);
  });

  it('a second add while the first is unconfirmed waits for the same confirmation', async () => {
    const connection = new FakeConnection();
    connection.autoReply = false;
    const subscriptions = new ChannelSubscriptions(connection, 1000, jest.fn());
    const first = subscriptions.add('room');
    const second = subscriptions.add('room');
    expect(second).toBe(first);
    let confirmed = false;
    void second!.then(() => (confirmed = true));
    await nextTurn();
    await nextTurn();
    expect(confirmed).toBe(false);
    connection.replyAll();
    await second;
    expect(confirmed).toBe(true);
  });

  it('bounds the wait for a confirmation by the timeout and reports errors', async () => {
    const connection = new FakeConnection();
    connection.autoReply = false;
    const subscriptions = new ChannelSubscriptions(connection, 20, jest.fn());
    const started = Date.now();
    await subscriptions.add('never-confirmed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    const onError = jest.fn();
    const failing = new ChannelSubscriptions(
      {
        status: 'ready',
        subscribe: () => Promise.reject(new Error('boom')),
        unsubscribe: () => Promise.resolve(),
      },
      1000,
      onError,
    );
    await failing.add('x');
    expect(onError).toHaveBeenCalledWith(new Error('boom'));
  });

  it('sends nothing while offline, and resubscribes every wanted channel when back, in chunks', async () => {
    const connection = new FakeConnection();
    connection.status = 'reconnecting';
    const subscriptions = new ChannelSubscriptions(connection, 1000, jest.fn());
    for (let i = 0; i < 1500; i++) subscriptions.add(`c${i}`);
    subscriptions.remove('c0');
    await subscriptions.settled();
    expect(connection.commands).toEqual([]);
    connection.status = 'ready';
    await subscriptions.resubscribeAll();
    expect(connection.commands).toHaveLength(2);
    expect(connection.commands[0].split(' ')).toHaveLength(1001);
    expect(connection.commands[1].split(' ')).toHaveLength(500);
    expect(connection.commands.join(' ')).not.toContain('c0 ');
  });
});
