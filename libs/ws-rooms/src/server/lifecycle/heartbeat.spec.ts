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
  readonly ws: { bufferedAmount: number };
}

/** Records what the heartbeat did, with the clock reading at the time. */
class RecordingActions implements HeartbeatActions<FakeSubject> {
  readonly live = new Set<FakeSubject>();
  /** The heartbeat the live set is mirrored into, as the connection registry does. */
  heartbeat: Heartbeat<FakeSubject> | undefined;
  readonly pings: { name: string; at: number }[] = [];
  readonly pongTimeouts: { name: string; at: number }[] = [];
  readonly writeTimeouts: { name: string; at: number }[] = [];

  constructor(private readonly clock: Scheduler) {}

  add(subject: FakeSubject): void {
    this.live.add(subject);
    this.heartbeat?.add(subject);
  }

  delete(subject: FakeSubject): void {
    this.live.delete(subject);
    this.heartbeat?.remove(subject);
  }

  ping(subject: FakeSubject): void {
    this.pings.push({ name: subject.name, at: this.clock.now() });
  }

  pongTimedOut(subject: FakeSubject): void {
    this.pongTimeouts.push({ name: subject.name, at: this.clock.now() });
    this.delete(subject);
  }

  writeTimedOut(subject: FakeSubject): void {
    this.writeTimeouts.push({ name: subject.name, at: this.clock.now() });
    this.delete(subject);
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
    ws: { bufferedAmount: 0 },
    wheelSlot: -1,
  };
}

describe('Heartbeat', () => {
  let clock: ManualScheduler;
  let actions: RecordingActions;

  function startHeartbeat(timings: HeartbeatTimings): Heartbeat<FakeSubject> {
    const heartbeat = new Heartbeat(timings, actions, clock);
    actions.heartbeat = heartbeat;
    heartbeat.start();
    return heartbeat;
  }

  /** The socket holds `bytes` after a write (0: drained), as the server reports writes. */
  function write(subject: FakeSubject, bytes: number): void {
    subject.socket.writableLength = bytes;
    if (bytes > 0) actions.heartbeat?.wrote(subject);
  }

  function connect(name: string): FakeSubject {
    const subject = subjectAt(name, clock.now());
    actions.add(subject);
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
      write(subject, 1000);
      clock.advance(400);
      expect(actions.writeTimeouts).toEqual([]);
      clock.advance(tick);
      expect(actions.writeTimeouts).toEqual([{ name: 'a', at: start + 400 + tick }]);
    });

    it('never cuts before writeTimeout has passed since the stall was first seen', () => {
      startHeartbeat(timings);
      const subject = connect('a');
      clock.advance(tick * 3);
      write(subject, 1);
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
      write(subject, 1000);
      clock.advance(300);
      write(subject, 0);
      clock.advance(tick);
      expect(subject.stalledSince).toBe(0);
      write(subject, 1000);
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
        write(subject, i % 2 === 0 ? 5000 : 0);
        clock.advance(tick);
      }
      expect(actions.writeTimeouts).toEqual([]);
    });

    it('does not count the frames corked in this turn as waiting', () => {
      startHeartbeat(timings);
      const subject = connect('a');
      // A timer that broadcasts just before every sweep: the bytes of its turn are still corked.
      write(subject, 1000);
      subject.corkedBytes = 1000;
      clock.advance(1000);
      expect(actions.writeTimeouts).toEqual([]);
      write(subject, 1001);
      clock.advance(1000);
      expect(actions.writeTimeouts.map((entry) => entry.name)).toEqual(['a']);
    });

    it('cuts only the stalled connection', () => {
      startHeartbeat(timings);
      const stalled = connect('stalled');
      const healthy = connect('healthy');
      write(stalled, 10);
      clock.advance(1000);
      expect(actions.writeTimeouts.map((entry) => entry.name)).toEqual(['stalled']);
      expect(actions.live.has(healthy)).toBe(true);
    });
  });

  describe('the timing wheel', () => {
    const timings = { pingPeriod: 800, pongTimeout: 1000, writeTimeout: 15_000 };

    /** A subject that counts how often a sweep reads its heartbeat state. */
    function countingSubject(name: string): { subject: FakeSubject; reads: () => number } {
      const subject = subjectAt(name, clock.now());
      let reads = 0;
      let lastPingAt = subject.lastPingAt;
      Object.defineProperty(subject, 'lastPingAt', {
        get: () => {
          reads++;
          return lastPingAt;
        },
        set: (value: number) => void (lastPingAt = value),
      });
      actions.add(subject);
      return { subject, reads: () => reads };
    }

    it('touches only the connections due in a tick', () => {
      startHeartbeat(timings);
      const early = countingSubject('early');
      clock.advance(400);
      const late = countingSubject('late');
      const lateReadsBefore = late.reads();
      // 'early' is due at +800: that tick reads it, and 'late' (due at +1200) not at all.
      clock.advance(400);
      expect(actions.pings.map((ping) => ping.name)).toEqual(['early']);
      expect(early.reads()).toBeGreaterThan(0);
      expect(late.reads()).toBe(lateReadsBefore);
      // Ticks with nothing due read nothing.
      const earlyReads = early.reads();
      clock.advance(300);
      expect(early.reads()).toBe(earlyReads);
      expect(late.reads()).toBe(lateReadsBefore);
    });

    it('pings at the first tick after a pong that came later than pingPeriod', () => {
      startHeartbeat({ pingPeriod: 800, pongTimeout: 2000, writeTimeout: 15_000 });
      const start = clock.now();
      const subject = connect('a');
      clock.advance(800);
      // No pong by the next ping's time (+1600): no second ping while the first is unanswered.
      clock.advance(900);
      expect(actions.pings).toHaveLength(1);
      subject.awaitingPong = false;
      clock.advance(100);
      expect(actions.pings).toEqual([
        { name: 'a', at: start + 800 },
        { name: 'a', at: start + 1800 },
      ]);
      expect(actions.pongTimeouts).toEqual([]);
    });

    it('moves a connection to its next ping lazily: a pong changes nothing but the flag', () => {
      const heartbeat = startHeartbeat(timings);
      const start = clock.now();
      const subject = connect('a');
      clock.advance(800);
      const slot = subject.wheelSlot;
      subject.awaitingPong = false;
      expect(subject.wheelSlot).toBe(slot);
      clock.advance(800);
      expect(actions.pings.map((ping) => ping.at - start)).toEqual([800, 1600]);
      expect(heartbeat.size).toBe(1);
    });

    it('forgets a closed connection at once: no ping and no timeout for it', () => {
      const heartbeat = startHeartbeat(timings);
      const kept = connect('kept');
      const closed = connect('closed');
      write(closed, 100);
      actions.delete(closed);
      expect(heartbeat.size).toBe(1);
      expect(closed.wheelSlot).toBe(-1);
      clock.advance(800);
      expect(actions.pings.map((ping) => ping.name)).toEqual(['kept']);
      kept.awaitingPong = false;
      clock.advance(20_000);
      expect(actions.pongTimeouts.map((entry) => entry.name)).toEqual(['kept']);
      expect(actions.writeTimeouts).toEqual([]);
      // A write reported after the close (a close frame) does not bring it back.
      heartbeat.wrote(closed);
      expect(heartbeat.size).toBe(0);
    });

    it('keeps the schedule of many connections over many periods, each pinged once a period', () => {
      const heartbeat = startHeartbeat(timings);
      const start = clock.now();
      const subjects = Array.from({ length: 30 }, (_, i) => {
        clock.advance(i % 3 === 0 ? 100 : 0);
        return connect(`s${i}`);
      });
      for (let step = 0; step < 200; step++) {
        clock.advance(100);
        for (const subject of subjects) subject.awaitingPong = false;
      }
      expect(actions.pongTimeouts).toEqual([]);
      for (const subject of subjects) {
        const times = actions.pings.filter((ping) => ping.name === subject.name).map((p) => p.at);
        for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBe(800);
        expect(times.length).toBeGreaterThanOrEqual(Math.floor((clock.now() - start) / 800) - 2);
      }
      expect(heartbeat.size).toBe(30);
    });
  });

  describe('write watch', () => {
    const timings = { pingPeriod: 800, pongTimeout: 1000, writeTimeout: 400 };

    it('watches a connection whose ping could not be written at once', () => {
      const heartbeat = new Heartbeat(timings, new PingStallActions(actions), clock);
      actions.heartbeat = heartbeat;
      heartbeat.start();
      const subject = connect('a');
      clock.advance(800);
      expect(subject.socket.writableLength).toBe(14);
      // No other write: the ping alone makes the heartbeat watch the buffer. Cut at 400 ms or
      // one tick later (the tick is 50 ms), before the pong timeout at 1000 ms.
      clock.advance(450);
      expect(actions.writeTimeouts.map((entry) => entry.name)).toEqual(['a']);
      expect(actions.pongTimeouts).toEqual([]);
    });

    it('stops watching a connection once its buffer is seen drained', () => {
      const heartbeat = startHeartbeat(timings);
      const subject = connect('a');
      write(subject, 10);
      clock.advance(50);
      expect(subject.stalledSince).not.toBe(0);
      write(subject, 0);
      clock.advance(50);
      expect(subject.stalledSince).toBe(0);
      // Bytes that appear without a reported write are not looked at (every write is reported).
      subject.socket.writableLength = 10;
      clock.advance(500);
      expect(subject.stalledSince).toBe(0);
      expect(heartbeat.size).toBe(1);
    });
  });
});

/** Actions whose ping leaves its 14 bytes in the socket, as to a peer that stopped reading. */
class PingStallActions implements HeartbeatActions<FakeSubject> {
  constructor(private readonly inner: RecordingActions) {}

  ping(subject: FakeSubject): void {
    subject.socket.writableLength += 14;
    this.inner.ping(subject);
  }

  pongTimedOut(subject: FakeSubject): void {
    this.inner.pongTimedOut(subject);
  }

  writeTimedOut(subject: FakeSubject): void {
    this.inner.writeTimedOut(subject);
  }
}
