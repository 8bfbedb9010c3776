import { WsRoomsClientErrorCode } from './client-errors';
import { DEFAULT_RECONNECT_OPTIONS, type ResolvedReconnectOptions } from './client-options';
import type { CloseDetails } from './reconnect-policy';
import { ReconnectScheduler } from './reconnect-scheduler';
import { FakeTimers } from './testing/fake-timers';

const close = (overrides: Partial<CloseDetails> = {}): CloseDetails => ({
  code: 1006,
  reason: '',
  wasClean: false,
  opened: true,
  ...overrides,
});

function scheduler(options: Partial<ResolvedReconnectOptions> = {}) {
  const timers = new FakeTimers();
  const failures: unknown[] = [];
  const reconnect = new ReconnectScheduler(
    { ...DEFAULT_RECONNECT_OPTIONS, ...options },
    timers,
    (error) => failures.push(error),
  );
  return { reconnect, timers, failures };
}

describe('ReconnectScheduler', () => {
  it('waits the backoff delay after an ordinary drop', () => {
    const { reconnect, timers } = scheduler({ jitter: false });
    expect([1, 2, 3].map(() => reconnect.delayAfter(close()))).toEqual([100, 200, 400]);
    expect(timers.pendingDelays).toEqual([]);
  });

  it('after 1013 waits at least tryAgainLaterDelay, jittered up to twice as long', () => {
    const { reconnect, timers } = scheduler();
    // The first random is the backoff's own jitter, the second the 1013 window's.
    timers.queueRandom(0.5, 0, 0.5, 0.5, 0.5, 0.999, 0.5, Number.NaN);
    const delays = [1, 2, 3, 4].map(() => reconnect.delayAfter(close({ code: 1013 })));
    expect(delays).toEqual([5000, 7500, 9995, 5000]);
  });

  it('after 1013 without jitter waits exactly tryAgainLaterDelay, or the longer backoff', () => {
    const { reconnect } = scheduler({ jitter: false, tryAgainLaterDelay: 3000, maxDelay: 60_000 });
    const delays = [1, 2, 3, 4, 5, 6].map(() => reconnect.delayAfter(close({ code: 1013 })));
    expect(delays).toEqual([3000, 3000, 3000, 3000, 3000, 3200]);
  });

  it('schedules the attempt on the clock and cancels it', () => {
    const { reconnect, timers } = scheduler({ jitter: false });
    const attempts: number[] = [];
    expect(reconnect.schedule(close({ code: 1013 }), () => attempts.push(timers.now))).toBe(5000);
    timers.advance(4999);
    expect(attempts).toEqual([]);
    timers.advance(1);
    expect(attempts).toEqual([5000]);
    reconnect.schedule(close(), () => attempts.push(timers.now));
    reconnect.cancelRetry();
    timers.advance(10_000);
    expect(attempts).toEqual([5000]);
  });

  it('decides: 1008 is not retried, 1013 is; a throwing policy is a no, and reported', () => {
    const { reconnect } = scheduler();
    expect(reconnect.decide(close({ code: 1008 }))).toEqual({ reconnect: false });
    expect(reconnect.decide(close({ code: 1013 }))).toEqual({ reconnect: true });
    const throwing = scheduler({
      shouldReconnect: () => {
        throw new Error('policy bug');
      },
    });
    expect(throwing.reconnect.decide(close())).toEqual({ reconnect: false });
    expect(throwing.failures).toEqual([new Error('policy bug')]);
  });

  it('gives up after maxFailedAttempts attempts that never opened; an open starts over', () => {
    const { reconnect } = scheduler({ maxFailedAttempts: 2 });
    expect(reconnect.decide(close({ opened: false })).reconnect).toBe(true);
    reconnect.opened();
    expect(reconnect.decide(close({ opened: false })).reconnect).toBe(true);
    const last = reconnect.decide(close({ opened: false }));
    expect(last.reconnect).toBe(false);
    expect(last.error?.code).toBe(WsRoomsClientErrorCode.ReconnectGaveUp);
  });

  it('starts the schedule over once a connection stayed open resetAfter', () => {
    const { reconnect, timers } = scheduler({ jitter: false, resetAfter: 1000 });
    reconnect.delayAfter(close());
    reconnect.delayAfter(close());
    reconnect.opened();
    timers.advance(999);
    expect(reconnect.delayAfter(close())).toBe(400);
    reconnect.opened();
    timers.advance(1000);
    expect(reconnect.delayAfter(close())).toBe(100);
  });
});
