import { Backoff, type BackoffSchedule } from './backoff';

const schedule = (overrides: Partial<BackoffSchedule> = {}): BackoffSchedule => ({
  initialDelay: 100,
  maxDelay: 5000,
  factor: 2,
  jitter: true,
  random: () => 0.5,
  ...overrides,
});

const take = (backoff: Backoff, count: number): number[] =>
  Array.from({ length: count }, () => backoff.next());

describe('Backoff', () => {
  it('without jitter, doubles from the initial delay and stops at the cap', () => {
    const backoff = new Backoff(schedule({ jitter: false }));
    expect(take(backoff, 9)).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
    expect(backoff.attempts).toBe(9);
  });

  it('with full jitter, scales the ceiling by the injected random number', () => {
    const randoms = [0.5, 0.25, 0.999, 0, 0.1, 0.5, 0.5, 0.3];
    const backoff = new Backoff(schedule({ random: () => randoms.shift() as number }));
    // ceilings: 100, 200, 400, 800, 1600, 3200, 5000, 5000
    expect(take(backoff, 8)).toEqual([50, 50, 399, 0, 160, 1600, 2500, 1500]);
  });

  it('never exceeds the cap or goes negative, even with a broken random source', () => {
    for (const bad of [1, 2, -1, Number.NaN]) {
      const backoff = new Backoff(schedule({ random: () => bad }));
      for (const delay of take(backoff, 20)) {
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(5000);
      }
    }
  });

  it('does not overflow after a very long outage', () => {
    const backoff = new Backoff(schedule({ jitter: false }));
    expect(backoff.ceiling(10_000)).toBe(5000);
  });

  it('starts over after reset', () => {
    const backoff = new Backoff(schedule({ jitter: false }));
    take(backoff, 5);
    backoff.reset();
    expect(backoff.attempts).toBe(0);
    expect(take(backoff, 3)).toEqual([100, 200, 400]);
  });

  it('honours another factor and an initial delay above the cap', () => {
    expect(take(new Backoff(schedule({ jitter: false, factor: 3 })), 5)).toEqual([
      100, 300, 900, 2700, 5000,
    ]);
    expect(take(new Backoff(schedule({ jitter: false, initialDelay: 9000 })), 2)).toEqual([
      5000, 5000,
    ]);
  });
});
