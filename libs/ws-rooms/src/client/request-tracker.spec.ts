import { WsRoomsClientError, WsRoomsServerError } from './client-errors';
import { PendingRequest, RequestTracker } from './request-tracker';
import { FakeTimers } from './testing/fake-timers';

/** The settlement of a promise, observed without awaiting it. */
function watch<T>(promise: Promise<T>): { value?: T; error?: unknown; settled: boolean } {
  const state: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { value, settled: true }),
    (error: unknown) => Object.assign(state, { error, settled: true }),
  );
  return state;
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('RequestTracker', () => {
  function setup() {
    const timers = new FakeTimers();
    const expired: PendingRequest[] = [];
    const tracker = new RequestTracker(timers, (request) => expired.push(request));
    const start = (event = 'e', timeout = 1000) => {
      const request = new PendingRequest(tracker.nextId(), event, `req ${event}`);
      return { request, outcome: watch(tracker.start(request, timeout)) };
    };
    return { timers, tracker, expired, start };
  }

  it('hands out increasing ids, never reused', () => {
    const { tracker } = setup();
    expect([tracker.nextId(), tracker.nextId(), tracker.nextId()]).toEqual([1, 2, 3]);
  });

  it('resolves with the value of the reply carrying its id', async () => {
    const { tracker, start, timers } = setup();
    const { request, outcome } = start();
    tracker.sent(request, {});
    expect(tracker.settle({ id: request.id, ok: true, value: 'v' })).toBe(true);
    await flush();
    expect(outcome).toEqual({ value: 'v', settled: true });
    expect(tracker.size).toBe(0);
    expect(timers.pendingDelays).toEqual([]);
  });

  it('rejects with the server error of an error reply, naming the event', async () => {
    const { tracker, start } = setup();
    const { request, outcome } = start('add');
    tracker.sent(request, {});
    tracker.settle({
      id: request.id,
      ok: false,
      error: { code: 'WS_ROOMS_NO_HANDLER', message: 'none', status: 404 },
    });
    await flush();
    expect(outcome.error).toBeInstanceOf(WsRoomsServerError);
    expect(outcome.error).toMatchObject({
      code: 'WS_ROOMS_NO_HANDLER',
      message: 'none',
      status: 404,
      event: 'add',
    });
  });

  it('times out at exactly the timeout, tells the owner, and ignores a late reply', async () => {
    const { tracker, start, timers, expired } = setup();
    const { request, outcome } = start('slow', 250);
    tracker.sent(request, {});
    timers.advance(249);
    await flush();
    expect(outcome.settled).toBe(false);
    timers.advance(1);
    await flush();
    expect(outcome.error).toBeInstanceOf(WsRoomsClientError);
    expect(outcome.error).toMatchObject({
      code: 'WS_ROOMS_CLIENT_REQUEST_TIMEOUT',
      message: 'request "slow" got no reply within 250 ms',
      event: 'slow',
    });
    expect(expired).toEqual([request]);
    expect(tracker.settle({ id: request.id, ok: true, value: 'late' })).toBe(false);
  });

  it('does not take a reply for a request that was never sent', () => {
    const { tracker, start } = setup();
    const { request } = start();
    expect(tracker.settle({ id: request.id, ok: true, value: 1 })).toBe(false);
    expect(tracker.isPending(request)).toBe(true);
  });

  it('aborts the requests one socket carried, and only those', async () => {
    const { tracker, start, timers } = setup();
    const socketA = {};
    const a = start('a');
    const b = start('b');
    const queued = start('c');
    tracker.sent(a.request, socketA);
    tracker.sent(b.request, {});
    tracker.abortCarried(socketA, new Error('closed'));
    await flush();
    expect(a.outcome.error).toEqual(new Error('closed'));
    expect(b.outcome.settled).toBe(false);
    expect(queued.outcome.settled).toBe(false);
    expect(timers.pendingDelays).toEqual([1000, 1000]);
  });

  it('aborts everything, returning what was still buffered', async () => {
    const { tracker, start, timers } = setup();
    const sent = start('a');
    const queued = start('b');
    tracker.sent(sent.request, {});
    expect(tracker.abortAll(new Error('stop'))).toEqual([queued.request]);
    await flush();
    expect(sent.outcome.error).toEqual(new Error('stop'));
    expect(queued.outcome.error).toEqual(new Error('stop'));
    expect(tracker.size).toBe(0);
    expect(timers.pendingDelays).toEqual([]);
  });

  it('settles once: the first of reply, timeout and abort wins', async () => {
    const { tracker, start, timers } = setup();
    const { request, outcome } = start();
    tracker.sent(request, {});
    tracker.fail(request, new Error('first'));
    tracker.settle({ id: request.id, ok: true, value: 'second' });
    timers.advance(5000);
    await flush();
    expect(outcome.error).toEqual(new Error('first'));
  });
});
