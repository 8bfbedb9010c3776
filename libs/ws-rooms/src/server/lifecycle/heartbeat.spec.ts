import {
  Heartbeat,
  type HeartbeatActions,
  type HeartbeatSubject,
  type HeartbeatTimings,
} from './heartbeat';
import type { Scheduler } from '../../util/scheduler';

/** A clock that moves only when told to, running the repeating timers that fall due on the way. */
class ManualScheduler implements Scheduler {
  readonly timers: { period: number; nextAt: number; tick: () => void; cancelled: boolean }[] = [];

  // Not 0: a real clock never reads 0, and the heartbeat uses 0 for "not stalled".
  constructor(private time = 1_000_000) {}

  now(): number {
    return this.time;
  }

  every(milliseconds: number, tick: () => void): { cancel(): void } {
    const timer = {
      period: milliseconds,
      nextAt: this.time + milliseconds,
      tick,
      cancelled: false,
    };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  get activeTimers(): number {
    return this.timers.filter((timer) => !timer.cancelled).length;
  }

  /** Moves the clock forward by `milliseconds`, firing every due tick at its own time. */
  advance(milliseconds: number): void {
    const end = this.time + milliseconds;
    for (;;) {
      const due = this.timers
        .filter((timer) => !timer.cancelled && timer.nextAt <= end)
        .sort((a, b) => a.nextAt - b.nextAt)[0];
      if (due === undefined) break;
      this.time = due.nextAt;
      due.nextAt += due.period;
      due.tick();
    }
    this.time = end;
  }
}

interface FakeSubject extends HeartbeatSubject {
  readonly name: string;
  readonly socket: { writableLength: number };
  corkedBytes: number;
}

/** Records what the heartbeat did, with the clock reading at the time. */
class RecordingActions implements HeartbeatActions<FakeSubject> {
  readonly live = new Set<FakeSubject>();
  readonly pings: { name: string; at: number }[] = [];
  readonly pongTimeouts: { name: string; at: number }[] = [];
  readonly writeTimeouts: { name: string; at: number }[] = [];

  constructor(private readonly clock: Scheduler) {}

  subjects(): Iterable<FakeSubject> {
    return this.live;
  }

  ping(subject: FakeSubject): void {
    this.pings.push({ name: subject.name, at: this.clock.now() });
  }

  pongTimedOut(subject: FakeSubject): void {
    this.pongTimeouts.push({ name: subject.name, at: this.clock.now() });
    this.live.delete(subject);
  }

  writeTimedOut(subject: FakeSubject): void {
    this.writeTimeouts.push({ name: subject.name, at: this.clock.now() });
    this.live.delete(subject);
  }
}

function subjectAt(name: string, now: number): FakeSubject {
  return {
    name,
    awaitingPong: false,
    lastPingAt: now,
    stalledSince: 0,
    socket: { writableLength: 0 },
    corkedBytes: 0,
  };
}

describe('Heartbeat', () => {
  let clock: ManualScheduler;
  let actions: RecordingActions;

  function startHeartbeat(timings: HeartbeatTimings): Heartbeat<FakeSubject> {
    const heartbeat = new Heartbeat(timings, actions, clock);
    heartbeat.start();
    return heartbeat;
  }

  function connect(name: string): FakeSubject {
    const subject = subjectAt(name, clock.now());
    actions.live.add(subject);
    return subject;
  }

  beforeEach(() => {
    clock = new ManualScheduler();
    actions = new RecordingActions(clock);
  });

  describe('tick interval', () => {
    it.each([
      [
        'the defaults: an eighth of 15 s, capped at 1 s',
        { pingPeriod: 54_000, pongTimeout: 60_000, writeTimeout: 15_000 },
        1000,
      ],
      [
        'an eighth of the shortest period',
        { pingPeriod: 800, pongTimeout: 1000, writeTimeout: 15_000 },
        100,
      ],
      [
        'the shortest period being the write timeout',
        { pingPeriod: 8000, pongTimeout: 10_000, writeTimeout: 400 },
        50,
      ],
      ['never below 5 ms', { pingPeriod: 10, pongTimeout: 20, writeTimeout: 100 }, 5],
      ['rounded down', { pingPeriod: 100, pongTimeout: 1000, writeTimeout: 1000 }, 12],
    ])('is %s', (_name, timings, expected) => {
      expect(new Heartbeat(timings, actions, clock).tickInterval).toBe(expected);
    });

    it('is the period of the one timer the heartbeat starts', () => {
      const heartbeat = startHeartbeat({
        pingPeriod: 800,
        pongTimeout: 1000,
        writeTimeout: 15_000,
      });
      expect(clock.timers.map((timer) => timer.period)).toEqual([heartbeat.tickInterval]);
    });
  });

  describe('start and stop', () => {
    const timings = { pingPeriod: 800, pongTimeout: 1000, writeTimeout: 15_000 };

    it('starts one timer however often start() is called', () => {
      const heartbeat = startHeartbeat(timings);
      heartbeat.start();
      expect(clock.activeTimers).toBe(1);
    });

    it('stops its timer, and can start again', () => {
      const heartbeat = startHeartbeat(timings);
      heartbeat.stop();
      expect(clock.activeTimers).toBe(0);
      connect('a');
      clock.advance(5000);
      expect(actions.pings).toEqual([]);
      heartbeat.start();
      clock.advance(100);
      expect(actions.pings).toHaveLength(1);
    });
  });

  describe('pings', () => {
    const timings = { pingPeriod: 800, pongTimeout: 1000, writeTimeout: 15_000 };

    it('pings a connection once its pingPeriod has passed, not before', () => {
      startHeartbeat(timings);
      const start = clock.now();
      const subject = connect('a');
      clock.advance(799);
      expect(actions.pings).toEqual([]);
      clock.advance(1);
      expect(actions.pings).toEqual([{ name: 'a', at: start + 800 }]);
      expect(subject.awaitingPong).toBe(true);
      expect(subject.lastPingAt).toBe(start + 800);
    });

    it('does not ping again while a ping is unanswered', () => {
      startHeartbeat(timings);
      connect('a');
      clock.advance(800);
      clock.advance(199);
      expect(actions.pings).toHaveLength(1);
    });

    it('keeps a connection that answers each ping in time, pinging it every pingPeriod', () => {
      startHeartbeat(timings);
      const start = clock.now();
      const subject = connect('a');
      for (let i = 0; i < 10; i++) {
        clock.advance(800);
        expect(subject.awaitingPong).toBe(true);
        // The pong arrives at once, well within pongTimeout.
        subject.awaitingPong = false;
      }
      expect(actions.pongTimeouts).toEqual([]);
      expect(actions.pings.map((ping) => ping.at - start)).toEqual(
        Array.from({ length: 10 }, (_, i) => (i + 1) * 800),
      );
    });

    it('keeps a connection whose pong comes just before pongTimeout', () => {
      startHeartbeat(timings);
      const subject = connect('a');
      clock.advance(800 + 900);
      subject.awaitingPong = false;
      clock.advance(1000);
      expect(actions.pongTimeouts).toEqual([]);
      expect(actions.live.has(subject)).toBe(true);
    });

    it('times out a connection that leaves a ping unanswered for pongTimeout', () => {
      startHeartbeat(timings);
      const start = clock.now();
      connect('a');
      clock.advance(800 + 999);
      expect(actions.pongTimeouts).toEqual([]);
      clock.advance(1);
      expect(actions.pongTimeouts).toEqual([{ name: 'a', at: start + 1800 }]);
      clock.advance(5000);
      expect(actions.pongTimeouts).toHaveLength(1);
    });

    it('treats every connection on its own schedule', () => {
      startHeartbeat(timings);
      const start = clock.now();
      const early = connect('early');
      clock.advance(400);
      connect('late');
      clock.advance(400);
      expect(actions.pings).toEqual([{ name: 'early', at: start + 800 }]);
      early.awaitingPong = false;
      clock.advance(1400);
      // 'late' never answered its ping at start + 1200, so it is gone at start + 2200.
      expect(actions.pongTimeouts).toEqual([{ name: 'late', at: start + 2200 }]);
      expect(actions.live.has(early)).toBe(true);
    });

    it('reports every expired connection of a sweep, although each report removes one from the live collection', () => {
      startHeartbeat(timings);
      connect('a');
      connect('b');
      connect('c');
      clock.advance(1800);
      expect(actions.pongTimeouts.map((entry) => entry.name).sort()).toEqual(['a', 'b', 'c']);
    });
  });

  describe('write stalls', () => {
    const timings = { pingPeriod: 8000, pongTimeout: 10_000, writeTimeout: 400 };
    const tick = 50;

    it('cuts a connection whose send buffer does not drain within writeTimeout', () => {
      startHeartbeat(timings);
      const start = clock.now();
      const subject = connect('a');
      subject.socket.writableLength = 1000;
      clock.advance(400);
      expect(actions.writeTimeouts).toEqual([]);
      clock.advance(tick);
      expect(actions.writeTimeouts).toEqual([{ name: 'a', at: start + 400 + tick }]);
    });

    it('never cuts before writeTimeout has passed since the stall was first seen', () => {
      startHeartbeat(timings);
      const subject = connect('a');
      clock.advance(tick * 3);
      subject.socket.writableLength = 1;
      clock.advance(tick);
      const firstSeen = clock.now();
      expect(subject.stalledSince).toBe(firstSeen);
      clock.advance(400 - 1);
      expect(actions.writeTimeouts).toEqual([]);
      clock.advance(tick);
      expect(actions.writeTimeouts).toHaveLength(1);
      expect(actions.writeTimeouts[0].at - firstSeen).toBeGreaterThanOrEqual(400);
      expect(actions.writeTimeouts[0].at - firstSeen).toBeLessThanOrEqual(400 + tick);
    });

    it('restarts the stall clock when the buffer drains', () => {
      startHeartbeat(timings);
      const subject = connect('a');
      subject.socket.writableLength = 1000;
      clock.advance(300);
      subject.socket.writableLength = 0;
      clock.advance(tick);
      expect(subject.stalledSince).toBe(0);
      subject.socket.writableLength = 1000;
      clock.advance(tick);
      const restarted = clock.now();
      clock.advance(400 - tick);
      // The first stall began 400 ms ago, but the buffer drained in between.
      expect(actions.writeTimeouts).toEqual([]);
      clock.advance(tick);
      expect(actions.writeTimeouts).toEqual([{ name: 'a', at: restarted + 400 }]);
    });

    it('leaves alone a connection whose buffer empties between sweeps', () => {
      startHeartbeat(timings);
      const subject = connect('a');
      for (let i = 0; i < 40; i++) {
        subject.socket.writableLength = i % 2 === 0 ? 5000 : 0;
        clock.advance(tick);
      }
      expect(actions.writeTimeouts).toEqual([]);
    });

    it('does not count the frames corked in this turn as waiting', () => {
      startHeartbeat(timings);
      const subject = connect('a');
      // A timer that broadcasts just before every sweep: the bytes of its turn are still corked.
      subject.socket.writableLength = 1000;
      subject.corkedBytes = 1000;
      clock.advance(1000);
      expect(actions.writeTimeouts).toEqual([]);
      subject.socket.writableLength = 1001;
      clock.advance(1000);
      expect(actions.writeTimeouts.map((entry) => entry.name)).toEqual(['a']);
    });

    it('cuts only the stalled connection', () => {
      startHeartbeat(timings);
      const stalled = connect('stalled');
      const healthy = connect('healthy');
      stalled.socket.writableLength = 10;
      clock.advance(1000);
      expect(actions.writeTimeouts.map((entry) => entry.name)).toEqual(['stalled']);
      expect(actions.live.has(healthy)).toBe(true);
    });
  });
});
