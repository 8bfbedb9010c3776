import { monotonicNow } from '../../util/clock';

/** One address's bucket: its tokens when it was last looked at, and when that was. */
interface Bucket {
  tokens: number;
  at: number;
}

/** How many of the least recently seen addresses one call looks at to forget refilled buckets. */
const SWEEP_PER_CALL = 2;

/**
 * Upgrades per second per remote address: a token bucket of `burst` tokens refilled at `rate` a
 * second, one token per upgrade request, checked before anything else runs. Its memory is bounded
 * twice: an address whose bucket has refilled is forgotten (a full bucket is what an unknown
 * address gets anyway), looked for among the least recently seen addresses on every call; and at
 * most `maxAddresses` are tracked, the least recently seen forgotten first. Durations come from
 * the monotonic clock. Every call costs O(1).
 */
export class ConnectionRateLimiter {
  /** In order of last use, least recent first (a `Map` keeps insertion order). */
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly maxAddresses: number,
    private readonly now: () => number = monotonicNow,
  ) {}

  /** False when the rate is 0 (the limit is off). */
  get enabled(): boolean {
    return this.rate > 0;
  }

  /** Addresses tracked now. */
  get size(): number {
    return this.buckets.size;
  }

  /**
   * Takes one token for an upgrade from `address`: null when it may go on, otherwise the whole
   * seconds after which it would (for `Retry-After`, at least 1).
   */
  tryTake(address: string): number | null {
    if (!this.enabled) return null;
    const now = this.now();
    this.forgetRefilled(now);
    let bucket = this.buckets.get(address);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxAddresses) this.forgetOldest();
      bucket = { tokens: this.burst, at: now };
    } else {
      bucket.tokens = this.tokensAt(bucket, now);
      bucket.at = now;
      // Re-inserted below: the address becomes the most recently seen.
      this.buckets.delete(address);
    }
    this.buckets.set(address, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return null;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.rate));
  }

  private tokensAt(bucket: Bucket, now: number): number {
    // max(0, ...): a monotonic clock never goes back, a test clock might.
    const refill = (Math.max(0, now - bucket.at) * this.rate) / 1000;
    return Math.min(this.burst, bucket.tokens + refill);
  }

  /** Forgets the least recently seen addresses whose buckets are full again (a few per call). */
  private forgetRefilled(now: number): void {
    for (let i = 0; i < SWEEP_PER_CALL; i++) {
      const oldest = this.buckets.entries().next();
      if (oldest.done === true) return;
      const [address, bucket] = oldest.value;
      if (this.tokensAt(bucket, now) < this.burst) return;
      this.buckets.delete(address);
    }
  }

  private forgetOldest(): void {
    const oldest = this.buckets.keys().next();
    if (oldest.done !== true) this.buckets.delete(oldest.value);
  }
}
