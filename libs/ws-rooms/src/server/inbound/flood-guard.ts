import type { InboundBudget } from '../../connection/connection-state';

/**
 * What the flood guard decided for one inbound message or ping: `accept` (within the rate),
 * `refuse` (drop it; the client was told recently), `tell` (drop it and tell the client
 * `WS_ROOMS_RATE_LIMITED`), `cut` (still sending a whole burst past the limit: close with 1013).
 */
export type FloodVerdict = 'accept' | 'refuse' | 'tell' | 'cut';

/** How often an over-rate client is told, at most. */
const TELL_INTERVAL_MS = 1000;

/**
 * The inbound rate policy: a token bucket of `maxMessageBurst` tokens refilled at `maxMessageRate`
 * per second (data messages and pings alike). A message beyond it is refused, not fatal: a chatty
 * but legitimate client loses the excess and hears about it at most once a second. Only a client
 * that keeps sending a whole burst's worth while refused is cut, with 1013 (try again later), which
 * the modern client answers by reconnecting after a back-off instead of giving up. A flood costs
 * the server a few arithmetic operations per message, and at most one small frame a second.
 */
export class FloodGuard {
  constructor(
    private readonly maxMessageRate: number,
    private readonly maxMessageBurst: number,
    private readonly now: () => number,
  ) {}

  /** True when the endpoint limits the rate at all. */
  get enabled(): boolean {
    return this.maxMessageRate > 0;
  }

  /** Fills a new connection's bucket. */
  start(budget: InboundBudget): void {
    budget.tokens = this.maxMessageBurst;
    budget.refilledAt = this.now();
  }

  /** Takes one token for one inbound message or ping. */
  take(budget: InboundBudget): FloodVerdict {
    const now = this.now();
    const refill = ((now - budget.refilledAt) * this.maxMessageRate) / 1000;
    budget.tokens = Math.min(this.maxMessageBurst, budget.tokens + refill);
    budget.refilledAt = now;
    if (budget.tokens >= 1) {
      budget.tokens -= 1;
      budget.refusedInARow = 0;
      return 'accept';
    }
    budget.refusedInARow++;
    if (budget.refusedInARow > this.maxMessageBurst) return 'cut';
    if (now - budget.toldAt < TELL_INTERVAL_MS) return 'refuse';
    budget.toldAt = now;
    return 'tell';
  }
}
