/**
 * The bytes handed to Redis and not yet acknowledged (broadcasts, logged broadcasts), against
 * `maxUnacknowledgedBytes`. A Redis that accepts the connection but stops answering (frozen,
 * swapping) closes nothing, so ioredis cannot tell; past the budget, broadcasts for other nodes are
 * dropped and counted instead of piling up in this process's memory.
 */
export class PublishBudget {
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** True once more than the budget is unacknowledged (the one publish that crossed it went out). */
  get exhausted(): boolean {
    return this.bytes > this.maxBytes;
  }

  /** Counts bytes handed to Redis. */
  take(bytes: number): void {
    this.bytes += bytes;
  }

  /** Redis acknowledged (or refused) bytes counted with {@link take}. */
  give(bytes: number): void {
    this.bytes -= bytes;
  }
}
