import { ReplyCollector } from './reply-collector';

describe('ReplyCollector', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('resolves complete once every expected node answered, keeping answers that came first', async () => {
    const settled = jest.fn();
    const collector = new ReplyCollector<number>(1000, undefined, settled);
    collector.add('b', 2); // before the expectation is known
    collector.expectNodes(['a', 'b']);
    expect(collector.done).toBe(false);
    collector.add('a', 1);
    const result = await collector.result;
    expect(result.complete).toBe(true);
    expect([...result.answers]).toEqual([
      ['b', 2],
      ['a', 1],
    ]);
    expect(result.missing).toEqual([]);
    expect(settled).toHaveBeenCalledTimes(1);
  });

  it('resolves incomplete at the timeout, naming the nodes that did not answer', async () => {
    const collector = new ReplyCollector<number>(500);
    collector.expectNodes(['a', 'b', 'c']);
    collector.add('a', 1);
    collector.add('x', 9); // not expected, kept all the same
    jest.advanceTimersByTime(499);
    expect(collector.done).toBe(false);
    jest.advanceTimersByTime(1);
    const result = await collector.result;
    expect(result).toMatchObject({ complete: false, missing: ['b', 'c'] });
    expect(result.answers.get('x')).toBe(9);
  });

  it('stays incomplete when who to expect is never learned', async () => {
    const collector = new ReplyCollector<number>(100);
    collector.add('a', 1);
    jest.advanceTimersByTime(100);
    expect((await collector.result).complete).toBe(false);
  });

  it('ends at once on a final answer', async () => {
    const collector = new ReplyCollector<{ ran: boolean }>(1000, (answer) => answer.ran);
    collector.expectCount(3);
    collector.add('a', { ran: false });
    expect(collector.done).toBe(false);
    collector.add('b', { ran: true });
    expect((await collector.result).complete).toBe(true);
  });

  it('counts answers when a count is expected; zero completes at once', async () => {
    const none = new ReplyCollector<number>(1000);
    none.expectCount(0);
    expect(await none.result).toMatchObject({ complete: true });
    const two = new ReplyCollector<number>(1000);
    two.expectCount(2);
    two.add('a', 1);
    two.add('a', 1); // a node's second answer does not count
    expect(two.done).toBe(false);
    two.add('b', 1);
    expect((await two.result).complete).toBe(true);
  });

  it('abort resolves incomplete, once; later answers are ignored and the timer is cleared', async () => {
    const settled = jest.fn();
    const collector = new ReplyCollector<number>(1000, undefined, settled);
    collector.abort();
    collector.add('a', 1);
    collector.abort();
    const result = await collector.result;
    expect(result.complete).toBe(false);
    expect(result.answers.size).toBe(0);
    expect(settled).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
  });
});
