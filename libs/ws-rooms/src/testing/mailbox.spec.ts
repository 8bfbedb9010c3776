import { Mailbox } from './mailbox';
import { WsRoomsTestError, WsRoomsTestErrorCode } from './testing-errors';

describe('Mailbox', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('keeps a value that came before next(), and hands each value once, in order', async () => {
    const box = new Mailbox<string>(10);
    box.push('a');
    box.push('b');
    await expect(box.next(100, 'x')).resolves.toBe('a');
    const waiting = box.next(100, 'x');
    const later = box.next(100, 'x');
    await expect(waiting).resolves.toBe('b');
    box.push('c');
    await expect(later).resolves.toBe('c');
    expect(box.received).toEqual(['a', 'b', 'c']);
  });

  it('rejects a wait with a typed timeout naming what was awaited', async () => {
    const box = new Mailbox<string>(10);
    const waiting = box.next(250, 'next("chat")');
    jest.advanceTimersByTime(249);
    box.push('in time');
    await expect(waiting).resolves.toBe('in time');
    const late = box.next(250, 'next("chat")');
    jest.advanceTimersByTime(250);
    await expect(late).rejects.toEqual(
      new WsRoomsTestError(
        WsRoomsTestErrorCode.Timeout,
        'next("chat"): nothing arrived within 250 ms',
      ),
    );
    // The timed-out wait is gone: the next value is kept for the next call.
    box.push('after');
    await expect(box.next(250, 'x')).resolves.toBe('after');
  });

  it('is bounded: the oldest values go first', async () => {
    const box = new Mailbox<number>(2);
    [1, 2, 3].forEach((n) => box.push(n));
    expect(box.received).toEqual([2, 3]);
    await expect(box.next(10, 'x')).resolves.toBe(2);
    box.clear();
    expect(box.received).toEqual([2, 3]);
    const waiting = box.next(10, 'x');
    jest.advanceTimersByTime(10);
    await expect(waiting).rejects.toMatchObject({ code: WsRoomsTestErrorCode.Timeout });
  });

  it('once ended, fails waiters at once and later calls after the unread values', async () => {
    const box = new Mailbox<string>(10);
    const waiting = box.next(10_000, 'x');
    const closed = new WsRoomsTestError(WsRoomsTestErrorCode.Closed, 'closed');
    box.end(closed);
    await expect(waiting).rejects.toBe(closed);
    const other = new Mailbox<string>(10);
    other.push('left over');
    other.end(closed);
    await expect(other.next(10, 'x')).resolves.toBe('left over');
    await expect(other.next(10, 'x')).rejects.toBe(closed);
  });
});
