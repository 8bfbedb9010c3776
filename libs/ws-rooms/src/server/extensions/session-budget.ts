/** The bounds of the recovery sessions one node keeps for cut connections. */
export interface SessionBudgetLimits {
  /** Sessions kept at most. */
  readonly maxSessions: number;
  /** Bytes of kept sessions at most (ids, tokens and room names). */
  readonly maxSessionBytes: number;
  /** Sessions kept at most per remote address. */
  readonly maxSessionsPerAddress: number;
  /** How long a session may be resumed (milliseconds). */
  readonly windowMs: number;
}

interface Entry {
  readonly token: string;
  readonly address: string;
  readonly bytes: number;
  readonly at: number;
}

/**
 * Counts the sessions this node suspended, in bytes and per address, and picks which to give up
 * when a bound is reached: always the oldest (of the address, then of the node), so that eviction
 * is predictable and a client that cuts its connection in a loop only ever evicts its own sessions
 * first. A session leaves the budget when it is resumed, expires or is evicted.
 */
export class SessionBudget {
  private readonly entries = new Map<string, Entry>();
  private readonly perAddress = new Map<string, number>();
  private bytes = 0;

  constructor(
    private readonly limits: SessionBudgetLimits,
    private readonly now: () => number,
  ) {}

  /** Sessions counted. */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes counted. */
  get totalBytes(): number {
    return this.bytes;
  }

  /**
   * Counts a new session; returns the tokens to discard (possibly the new one itself, when it
   * alone is larger than the byte bound).
   */
  add(token: string, address: string, bytes: number): string[] {
    const evicted: string[] = [];
    this.expire(evicted);
    if (bytes > this.limits.maxSessionBytes) return [...evicted, token];
    if ((this.perAddress.get(address) ?? 0) >= this.limits.maxSessionsPerAddress) {
      for (const entry of this.entries.values()) {
        if (entry.address !== address) continue;
        this.remove(entry.token);
        evicted.push(entry.token);
        break;
      }
    }
    while (
      this.entries.size > 0 &&
      (this.entries.size >= this.limits.maxSessions ||
        this.bytes + bytes > this.limits.maxSessionBytes)
    ) {
      const oldest = this.entries.values().next().value as Entry;
      this.remove(oldest.token);
      evicted.push(oldest.token);
    }
    this.entries.set(token, { token, address, bytes, at: this.now() });
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    this.bytes += bytes;
    return evicted;
  }

  /** Forgets a session (resumed, or discarded by the store). */
  remove(token: string): void {
    const entry = this.entries.get(token);
    if (entry === undefined) return;
    this.entries.delete(token);
    this.bytes -= entry.bytes;
    const count = (this.perAddress.get(entry.address) ?? 1) - 1;
    if (count <= 0) this.perAddress.delete(entry.address);
    else this.perAddress.set(entry.address, count);
  }

  private expire(evicted: string[]): void {
    const now = this.now();
    for (const entry of this.entries.values()) {
      if (now - entry.at <= this.limits.windowMs) break;
      this.remove(entry.token);
      evicted.push(entry.token);
    }
  }
}
