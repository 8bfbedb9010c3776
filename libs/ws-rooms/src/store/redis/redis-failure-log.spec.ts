import { FailureLog } from './redis-failure-log';
import { ManualScheduler } from './redis-store.spec.support';

describe('FailureLog', () => {
  it('logs each kind of failure at most once per 30 s, each kind on its own', () => {
    const lines: string[] = [];
    const scheduler = new ManualScheduler();
    const log = new FailureLog(
      {
        log: () => undefined,
        warn: () => undefined,
        error: (message: string) => void lines.push(message),
      },
      scheduler,
    );
    log.report('publish', 'p1');
    log.report('publish', 'p2');
    log.report('query', 'q1');
    scheduler.time += 29_999;
    log.report('publish', 'p3');
    scheduler.time += 1;
    log.report('publish', 'p4');
    expect(lines).toEqual(['p1', 'q1', 'p4']);
  });
});
