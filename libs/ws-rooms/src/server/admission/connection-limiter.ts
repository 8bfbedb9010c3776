/**
 * Counts connections (and upgrades in progress) globally and per remote address, so that limits are
 * checked before the upgrade: a flood of handshakes cannot get past them while authentication runs.
 */
export class ConnectionLimiter {
  private readonly perAddress = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly maxConnections: number,
    private readonly maxPerAddress: number,
  ) {}

  /** Takes a slot for `address`; returns the refusal reason when a limit is reached. */
  tryAcquire(address: string): string | null {
    if (this.total >= this.maxConnections) return 'Too many connections';
    const current = this.perAddress.get(address) ?? 0;
    if (this.maxPerAddress > 0 && current >= this.maxPerAddress) {
      return 'Too many connections from this address';
    }
    this.total++;
    this.perAddress.set(address, current + 1);
    return null;
  }

  /** Gives a slot back (a refused upgrade, or a closed connection). */
  release(address: string): void {
    const current = this.perAddress.get(address);
    if (current === undefined) return;
    this.total--;
    if (current <= 1) this.perAddress.delete(address);
    else this.perAddress.set(address, current - 1);
  }

  /** Slots in use. */
  get size(): number {
    return this.total;
  }
}
