/** The shape of a retry schedule. Every field is required here; defaults live in `client-options.ts`. */
export interface BackoffSchedule {
  /** Ceiling of the first delay, in ms. */
  readonly initialDelay: number;
  /** No delay ever exceeds this, in ms. */
  readonly maxDelay: number;
  /** Growth of the ceiling per attempt. */
  readonly factor: number;
  /** Full jitter (a uniform delay between 0 and the ceiling) when true; the ceiling itself when false. */
  readonly jitter: boolean;
  /** A uniform random number in [0, 1); injectable so tests get exact delays. */
  readonly random: () => number;
}

/**
 * Exponential backoff with "full jitter": attempt `n` (from 0) waits a uniform random time in
 * `[0, min(maxDelay, initialDelay * factor^n))`. Of the usual jitter schemes, full jitter spreads a
 * crowd of clients best after a server restart drops them all at once (every client picks its own
 * point in the whole window instead of clustering near the ceiling), at the price of an occasional
 * short delay, which is harmless because the ceiling keeps growing. With `jitter: false` the
 * delays are the ceilings themselves: 100, 200, 400, ... ms with the defaults.
 */
export class Backoff {
  private attempt = 0;

  constructor(private readonly schedule: BackoffSchedule) {}

  /** How many delays were handed out since the last {@link reset}. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt, in whole ms; advances the schedule. */
  next(): number {
    const ceiling = this.ceiling(this.attempt);
    this.attempt++;
    if (!this.schedule.jitter) return ceiling;
    // A misbehaving injected random (1, NaN, negative) must not push a delay outside [0, ceiling).
    const random = this.schedule.random();
    const unit = random >= 0 && random < 1 ? random : 0;
    return Math.floor(unit * ceiling);
  }

  /** Starts the schedule over, after a connection proved stable. */
  reset(): void {
    this.attempt = 0;
  }

  /**
   * The ceiling for attempt `n`, computed by repeated multiplication that stops at `maxDelay`, so a
   * long outage never overflows to `Infinity`.
   */
  ceiling(attempt: number): number {
    const { initialDelay, maxDelay, factor } = this.schedule;
    let delay = Math.min(initialDelay, maxDelay);
    for (let i = 0; i < attempt && delay < maxDelay; i++)
      delay = Math.min(delay * factor, maxDelay);
    return Math.round(delay);
  }
}
