/** Message rates over one sampling interval. */
export type RateSample = {
  /** When the interval ended (ms since the epoch). */
  readonly at: number;
  /** Data messages received per second. */
  readonly in: number;
  /** Frames queued per second. */
  readonly out: number;
};

/**
 * Turns the cumulative `messagesIn` / `messagesOut` counters into per-second rates, keeping the last
 * `capacity` samples: what the dashboard's chart draws. Fed by the dashboard's timer.
 */
export class RateSampler {
  private readonly samples: RateSample[] = [];
  private lastAt = Number.NaN;
  private lastIn = 0;
  private lastOut = 0;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity <= 0) {
      throw new RangeError(`RateSampler: capacity must be a positive integer, got ${capacity}`);
    }
  }

  /** Reads the counters at `at`; from the second reading on, adds the rates since the previous one. */
  record(at: number, messagesIn: number, messagesOut: number): void {
    const elapsed = (at - this.lastAt) / 1000;
    if (elapsed > 0) {
      this.samples.push({
        at,
        in: perSecond(messagesIn - this.lastIn, elapsed),
        out: perSecond(messagesOut - this.lastOut, elapsed),
      });
      if (this.samples.length > this.capacity) this.samples.shift();
    }
    // A clock that went back (or the first reading) only restarts the interval.
    this.lastAt = at;
    this.lastIn = messagesIn;
    this.lastOut = messagesOut;
  }

  /** The samples, oldest first (a copy). */
  history(): RateSample[] {
    return this.samples.slice();
  }

  /** The newest sample, or zero rates before there is one. */
  latest(): RateSample {
    return this.samples[this.samples.length - 1] ?? { at: this.lastAt, in: 0, out: 0 };
  }
}

function perSecond(delta: number, seconds: number): number {
  return Math.round((Math.max(0, delta) / seconds) * 100) / 100;
}
