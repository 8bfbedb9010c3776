import { Reconnection, type RecoverySteps } from './redis-reconnection';
import { fakeContext } from './redis-store.spec.support';

function setup() {
  const context = fakeContext();
  const calls: string[] = [];
  let bothReady = true;
  const steps: RecoverySteps = {
    bothReady: () => bothReady,
    resubscribe: async () => void calls.push('resubscribe'),
    heartbeat: async () => void calls.push('heartbeat'),
    forgetScripts: () => void calls.push('forget scripts'),
    loadScripts: async () => void calls.push('load scripts'),
    catchUp: async () => void calls.push('catch up'),
    updateGauges: () => void calls.push('gauges'),
  };
  const reconnection = new Reconnection(context, steps);
  return { context, calls, reconnection, setReady: (ready: boolean) => (bothReady = ready) };
}

describe('Reconnection', () => {
  it('logs a gap once when it starts and once when it ends, with its length and what was not sent', async () => {
    const { context, reconnection, calls } = setup();
    reconnection.lost(false);
    context.stats.publishSkipped += 3;
    reconnection.lost(true);
    reconnection.error(new Error('ECONNREFUSED')); // part of the gap: not logged
    expect(reconnection.inGap).toBe(true);
    expect(context.stats).toMatchObject({ connected: false, connectionLosses: 1 });
    context.manualScheduler.time += 250;
    await reconnection.ready();
    expect(reconnection.inGap).toBe(false);
    expect(context.stats.reconnections).toBe(1);
    expect(context.logged).toEqual([
      expect.stringMatching(/^warn: lost the connection to Redis/),
      'log: reconnected to Redis after 250 ms; 3 broadcasts were not forwarded meanwhile',
    ]);
    expect(context.failures).toEqual([]);
    expect(calls).toEqual([
      'forget scripts',
      'forget scripts',
      'resubscribe',
      'heartbeat',
      'load scripts',
      'catch up',
      'gauges',
    ]);
  });

  it('resubscribes only when the subscriber connection was the one lost', async () => {
    const { reconnection, calls } = setup();
    reconnection.lost(false);
    await reconnection.ready();
    expect(calls).not.toContain('resubscribe');
  });

  it('waits for both connections, and ignores everything unless the store runs', async () => {
    const { context, reconnection, calls, setReady } = setup();
    reconnection.lost(true);
    setReady(false);
    await reconnection.ready();
    expect(reconnection.inGap).toBe(true);
    setReady(true);
    context.state.running = false;
    await reconnection.ready();
    reconnection.lost(true);
    reconnection.end();
    reconnection.error(new Error('late'));
    expect(calls).toEqual(['forget scripts']);
    expect(context.logged).toHaveLength(1);
  });

  it('a failed catch-up is logged and the gap still closes', async () => {
    const { context, reconnection } = setup();
    const steps = (reconnection as unknown as { steps: RecoverySteps }).steps;
    steps.catchUp = async () => {
      throw new Error('XRANGE failed');
    };
    reconnection.lost(false);
    await reconnection.ready();
    expect(reconnection.inGap).toBe(false);
    expect(context.failures).toEqual([
      expect.stringContaining('log: catching up with the log failed'),
    ]);
  });

  it('logs errors outside a gap (rate-limited by the failure log), and when ioredis gives up', () => {
    const { context, reconnection } = setup();
    reconnection.error(new Error('READONLY'));
    reconnection.end();
    expect(context.failures).toEqual(['redis: Redis error: READONLY']);
    expect(context.logged).toEqual([expect.stringMatching(/^error: ioredis stopped reconnecting/)]);
  });
});
