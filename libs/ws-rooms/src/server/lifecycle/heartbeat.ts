import { type Scheduler, systemScheduler } from '../../util/scheduler';

/** The per-connection state the heartbeat reads and writes. */
export interface HeartbeatSubject {
  awaitingPong: boolean;
  lastPingAt: number;
  stalledSince: number;
  readonly socket: { readonly writableLength: number };
  /** Bytes corked in the socket during this event-loop turn: not waiting for the kernel yet. */
  readonly corkedBytes: number;
}

/** What the heartbeat does to a connection; implemented by the server. */
export interface HeartbeatActions<T extends HeartbeatSubject> {
  subjects(): Iterable<T>;
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
 * One sweep timer per endpoint instead of timers per connection: every tick it pings the
 * connections whose ping is due, terminates those that left a ping unanswered for `pongTimeout`, and
 * cuts those whose send buffer has not drained for `writeTimeout`. The tick is an eighth of the
 * shortest period (between 5 ms and 1 s), which bounds how late a limit can be enforced.
 */
export class Heartbeat<T extends HeartbeatSubject> {
  private timer: { cancel(): void } | null = null;
  readonly tickInterval: number;

  constructor(
    private readonly timings: HeartbeatTimings,
    private readonly actions: HeartbeatActions<T>,
    private readonly scheduler: Scheduler = systemScheduler,
  ) {
    const shortest = Math.min(timings.pingPeriod, timings.pongTimeout, timings.writeTimeout);
    this.tickInterval = Math.min(1000, Math.max(5, Math.floor(shortest / 8)));
  }

  start(): void {
    this.timer ??= this.scheduler.every(this.tickInterval, () => this.sweep());
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  /** One pass over every connection; public for tests that drive the clock. */
  sweep(): void {
    const now = this.scheduler.now();
    const { pingPeriod, pongTimeout, writeTimeout } = this.timings;
    // Collect first: the actions may remove connections from the live collection being iterated.
    const expired: T[] = [];
    const stalled: T[] = [];
    for (const subject of this.actions.subjects()) {
      if (subject.awaitingPong) {
        if (now - subject.lastPingAt >= pongTimeout) {
          expired.push(subject);
          continue;
        }
      } else if (now - subject.lastPingAt >= pingPeriod) {
        subject.awaitingPong = true;
        subject.lastPingAt = now;
        this.actions.ping(subject);
      }
      if (subject.socket.writableLength - subject.corkedBytes <= 0) {
        subject.stalledSince = 0;
      } else if (subject.stalledSince === 0) {
        subject.stalledSince = now;
      } else if (now - subject.stalledSince >= writeTimeout) {
        stalled.push(subject);
      }
    }
    for (const subject of expired) this.actions.pongTimedOut(subject);
    for (const subject of stalled) this.actions.writeTimedOut(subject);
  }
}
