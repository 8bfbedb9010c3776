import { RedisReplies } from './redis-replies';
import { fakeContext } from './redis-store.spec.support';
import { encodeReply } from './redis-wire';

describe('RedisReplies', () => {
  it('hands each answer to the wait of its request id, and ignores answers nobody waits for', async () => {
    const replies = new RedisReplies(fakeContext());
    const id = replies.newId();
    expect(replies.newId()).toBe(id + 1);
    const collector = replies.collect(id);
    collector.expectNodes(['a', 'b']);
    replies.received('a', { id, count: 1 });
    replies.received('x', { id: id + 100, count: 9 });
    replies.received('b', { id, count: 2 });
    const gathered = await collector.result;
    expect(gathered.complete).toBe(true);
    expect([...gathered.answers.keys()]).toEqual(['a', 'b']);
    // Forgotten once resolved: a late answer changes nothing.
    replies.received('c', { id, count: 3 });
    expect(gathered.answers.size).toBe(2);
  });

  it('abortAll resolves every wait as incomplete', async () => {
    const replies = new RedisReplies(fakeContext());
    const first = replies.collect(replies.newId());
    const second = replies.collect(replies.newId());
    replies.abortAll();
    expect((await first.result).complete).toBe(false);
    expect((await second.result).complete).toBe(false);
  });

  it("sends an answer on the asker's reply channel, unless it breaks the limits or Redis is away", () => {
    const context = fakeContext({ maxMessageBytes: 4096 });
    const replies = new RedisReplies(context);
    replies.send('asker', { id: 1, list: ['a'] });
    replies.send('asker', { id: 2, list: ['x'.repeat(4096)] });
    context.fakeClient.status = 'reconnecting';
    replies.send('asker', { id: 3, count: 0 });
    expect(context.fakeClient.published).toEqual([
      { channel: 't:res:asker', data: encodeReply('me', { id: 1, list: ['a'] }) },
    ]);
    expect(context.stats.publishOverLimits).toBe(1);
  });
});
