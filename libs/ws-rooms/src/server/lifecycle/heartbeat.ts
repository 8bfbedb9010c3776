import { DueWheel, type WheelEntry } from '../../util/due-wheel';
import { type Scheduler, systemScheduler } from '../../util/scheduler';

/** The per-connection state the heartbeat reads and writes. */
export interface HeartbeatSubject extends WheelEntry {
  awaitingPong: boolean;
  lastPingAt: number;
  stalledSince: number;
  readonly socket: { readonly writableLength: number };
  /** Bytes corked in the socket during this event-loop turn: not waiting for the kernel yet. */
  readonly corkedBytes: number;
  /** What `ws` still holds besides the socket (a permessage-deflate queue) counts here too. */
  readonly ws: { readonly bufferedAmount: number };
}

/** What the heartbeat does to a connection; implemented by the server. */
export interface HeartbeatActions<T extends HeartbeatSubject> {
  ping(subject: T): void;
  pongTimedOut(subject: T): void;
  writeTimedOut(subject: T): void;
}

/** The heartbeat's periods in milliseconds. */
export interface HeartbeatTimings {
  readonly pingPeriod: number;
  readonly pongTimeout: number;
  readonly writeTimeout: number;
}

/**
 * One timer per endpoint instead of timers per connection: every tick it pings the connections
 * whose ping is due, terminates those that left a ping unanswered for `pongTimeout`, and cuts
 * those whose send buffer has not drained for `writeTimeout`. The tick is an eighth of the shortest
 * period (between 5 ms and 1 s), which bounds how late a limit can be enforced.
 *
 * A tick touches only the connections due then, not every connection: each connection sits in a
 * timing wheel (`DueWheel`) under its next deadline (its next ping, or while a ping is unanswered
 * past `pingPeriod`, every tick until the pong or `pongTimeout`). A pong or an inbound message only
 * clears `awaitingPong`; the connection is moved when its slot comes. Write stalls are watched on
 * the connections that wrote since they were last seen drained (`wrote`), not on all of them.
 */
export class Heartbeat<T extends HeartbeatSubject> {
  private timer: { cancel(): void } | null = null;
  readonly tickInterval: number;
  private readonly wheel: DueWheel<T>;
  /** Connections that wrote and were not yet seen with an empty send buffer. */
  private readonly writers = new Set<T>();
  private readonly expired: T[] = [];
  private now = 0;

  constructor(
    private readonly timings: HeartbeatTimings,
    private readonly actions: HeartbeatActions<T>,
    private readonly scheduler: Scheduler = systemScheduler,
  ) {
    const shortest = Math.min(timings.pingPeriod, timings.pongTimeout, timings.writeTimeout);
    this.tickInterval = Math.min(1000, Math.max(5, Math.floor(shortest / 8)));
    const horizon = Math.max(timings.pingPeriod, timings.pongTimeout) + this.tickInterval;
    this.wheel = new DueWheel<T>(this.tickInterval, horizon, scheduler.now());
  }

  /** Connections the heartbeat watches. */
  get size(): number {
    return this.wheel.size;
  }

  start(): void {
    this.timer ??= this.scheduler.every(this.tickInterval, () => this.sweep());
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  /** A new connection: its first ping is due `pingPeriod` after its `lastPingAt`. */
  add(subject: T): void {
    this.wheel.schedule(subject, subject.lastPingAt + this.timings.pingPeriod);
  }

  /** A closed connection: forgotten at once. */
  remove(subject: T): void {
    this.wheel.remove(subject);
    this.writers.delete(subject);
  }

  /** The connection handed bytes to its socket (or to `ws`): watched until its buffer drains. */
  wrote(subject: T): void {
    if (subject.wheelSlot >= 0) this.writers.add(subject);
  }

  /** One tick: the due connections and the writers; public for tests that drive the clock. */
  sweep(): void {
    const now = this.scheduler.now();
    this.now = now;
    this.wheel.take(now, this.visit);
    const { writeTimeout } = this.timings;
    // Collect first: the actions remove connections from the collections being iterated.
    const stalled: T[] = [];
    const { pongTimeout } = this.timings;
    for (const subject of this.writers) {
      // Reported as pong-timed-out in this tick already: one cause is enough.
      if (subject.awaitingPong && now - subject.lastPingAt >= pongTimeout) continue;
      if (subject.socket.writableLength - subject.corkedBytes > 0) {
        if (subject.stalledSince === 0) subject.stalledSince = now;
        else if (now - subject.stalledSince >= writeTimeout) stalled.push(subject);
        continue;
      }
      subject.stalledSince = 0;
      if (subject.corkedBytes === 0 && subject.ws.bufferedAmount === 0) {
        this.writers.delete(subject);
      }
    }
    const expired = this.expired;
    for (let i = 0; i < expired.length; i++) this.actions.pongTimedOut(expired[i]);
    expired.length = 0;
    for (const subject of stalled) this.actions.writeTimedOut(subject);
  }

  /** One due connection (bound once: no closure per tick or per connection). */
  private readonly visit = (subject: T): void => {
    const now = this.now;
    const { pingPeriod, pongTimeout } = this.timings;
    const sincePing = now - subject.lastPingAt;
    let dueAt: number;
    if (subject.awaitingPong) {
      if (sincePing >= pongTimeout) {
        this.expired.push(subject);
        // Looked at again next tick, as before, if the action leaves it open.
        dueAt = now + this.tickInterval;
      } else if (sincePing >= pingPeriod) {
        // Its next ping is overdue: it goes at the first tick after the pong, so look every tick.
        dueAt = Math.min(now + this.tickInterval, subject.lastPingAt + pongTimeout);
      } else {
        dueAt = subject.lastPingAt + pingPeriod;
      }
    } else if (sincePing >= pingPeriod) {
      subject.awaitingPong = true;
      subject.lastPingAt = now;
      this.wheel.schedule(subject, now + pingPeriod);
      this.actions.ping(subject);
      this.wrote(subject);
      return;
    } else {
      dueAt = subject.lastPingAt + pingPeriod;
    }
    this.wheel.schedule(subject, dueAt);
  };
}
