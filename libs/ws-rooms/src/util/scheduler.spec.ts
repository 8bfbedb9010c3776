import { systemScheduler } from './scheduler';

describe('systemScheduler', () => {
  it('measures durations on a monotonic clock that a wall-clock step does not move', () => {
    const first = systemScheduler.now();
    const stepBack = jest.spyOn(Date, 'now').mockReturnValue(Date.now() - 3_600_000);
    try {
      expect(systemScheduler.now()).toBeGreaterThanOrEqual(first);
    } finally {
      stepBack.mockRestore();
    }
    const before = Date.now();
    expect(systemScheduler.wallNow!()).toBeGreaterThanOrEqual(before);
    expect(systemScheduler.wallNow!()).toBeLessThanOrEqual(Date.now());
  });

  it('repeats a tick until cancelled, on a timer that does not keep the process alive', async () => {
    const setIntervalSpy = jest.spyOn(global, 'setInterval');
    const clearIntervalSpy = jest.spyOn(global, 'clearInterval');
    try {
      let ticks = 0;
      let timer: { cancel(): void } | undefined;
      await new Promise<void>((resolve, reject) => {
        const guard = setTimeout(() => reject(new Error('no second tick within 2 s')), 2000);
        timer = systemScheduler.every(5, () => {
          ticks++;
          if (ticks === 2) {
            clearTimeout(guard);
            resolve();
          }
        });
      });
      const interval = setIntervalSpy.mock.results[0].value as NodeJS.Timeout;
      expect(interval.hasRef()).toBe(false);
      timer!.cancel();
      expect(clearIntervalSpy).toHaveBeenCalledWith(interval);
    } finally {
      setIntervalSpy.mockRestore();
      clearIntervalSpy.mockRestore();
    }
  });
});
