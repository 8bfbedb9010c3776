import { performance } from 'node:perf_hooks';

/**
 * Milliseconds on a monotonic clock. Every duration the server measures (rate buckets, heartbeats,
 * handshake and shutdown deadlines) uses it: a wall-clock step (NTP, a VM resumed, an operator) must
 * neither cut healthy clients nor spare dead ones. Only timestamps compared across machines (a
 * shared recovery log) use the wall clock.
 */
export function monotonicNow(): number {
  return performance.now();
}
