import { RateSampler } from './rate-sampler';

describe('RateSampler', () => {
  it('turns cumulative counters into per-second rates from the second reading on', () => {
    const sampler = new RateSampler(60);
    sampler.record(1_000, 0, 0);
    expect(sampler.history()).toEqual([]);
    expect(sampler.latest()).toEqual({ at: 1_000, in: 0, out: 0 });
    sampler.record(2_000, 30, 60);
    sampler.record(2_500, 35, 60);
    expect(sampler.history()).toEqual([
      { at: 2_000, in: 30, out: 60 },
      { at: 2_500, in: 10, out: 0 },
    ]);
    expect(sampler.latest()).toEqual({ at: 2_500, in: 10, out: 0 });
  });

  it('keeps the last `capacity` samples, oldest first', () => {
    const sampler = new RateSampler(3);
    for (let second = 0; second <= 5; second++) sampler.record(second * 1000, second, 0);
    expect(sampler.history().map((sample) => sample.at)).toEqual([3000, 4000, 5000]);
  });

  it('rounds to hundredths and never reports a negative rate', () => {
    const sampler = new RateSampler(5);
    sampler.record(0, 0, 10);
    sampler.record(3_000, 1, 5);
    expect(sampler.latest()).toEqual({ at: 3_000, in: 0.33, out: 0 });
  });

  it('only restarts the interval when the clock goes back', () => {
    const sampler = new RateSampler(5);
    sampler.record(5_000, 0, 0);
    sampler.record(4_000, 10, 10);
    sampler.record(5_000, 20, 30);
    expect(sampler.history()).toEqual([{ at: 5_000, in: 10, out: 20 }]);
  });

  it('gives copies of its history', () => {
    const sampler = new RateSampler(5);
    sampler.record(0, 0, 0);
    sampler.record(1000, 1, 1);
    sampler.history().pop();
    expect(sampler.history()).toHaveLength(1);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new RateSampler(0)).toThrow(RangeError);
    expect(() => new RateSampler(1.5)).toThrow(RangeError);
  });
});
