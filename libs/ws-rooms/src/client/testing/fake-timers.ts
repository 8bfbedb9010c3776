import type { ClientTimers } from '../client-options';

interface ScheduledTimer {
  readonly id: number;
  readonly at: number;
  readonly delay: number;
  readonly callback: () => void;
}

/**
 * A manual clock implementing the client's injectable timers: nothing runs until the test advances
 * time, and the random source is a queue of numbers the test chooses.
 */
export class FakeTimers implements ClientTimers {
  now = 0;
  private nextId = 1;
  private timers: ScheduledTimer[] = [];
  private readonly randoms: number[] = [];

  /** Returned by `random()` once the queue of chosen numbers is empty. */
  defaultRandom = 0.5;

  setTimeout = (callback: () => void, ms: number): number => {
    const id = this.nextId++;
    this.timers.push({ id, at: this.now + ms, delay: ms, callback });
    return id;
  };

  clearTimeout = (handle: unknown): void => {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  };

  random = (): number => this.randoms.shift() ?? this.defaultRandom;

  /** Queues the numbers `random()` returns next. */
  queueRandom(...values: number[]): void {
    this.randoms.push(...values);
  }

  /** The delays of the pending timers, soonest first. */
  get pendingDelays(): number[] {
    return this.sorted().map((timer) => timer.delay);
  }

  /** Moves the clock forward, running every timer that falls due (including ones they schedule). */
  advance(ms: number): void {
    const until = this.now + ms;
    for (
      let next = this.sorted()[0];
      next !== undefined && next.at <= until;
      next = this.sorted()[0]
    ) {
      this.now = next.at;
      this.clearTimeout(next.id);
      next.callback();
    }
    this.now = until;
  }

  /** Runs the soonest timer, moving the clock to it; returns its delay. */
  runNext(): number {
    const next = this.sorted()[0];
    if (next === undefined) throw new Error('no timer is pending');
    this.advance(next.at - this.now);
    return next.delay;
  }

  private sorted(): ScheduledTimer[] {
    return [...this.timers].sort((a, b) => a.at - b.at || a.id - b.id);
  }
}
