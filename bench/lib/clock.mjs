/**
 * One clock for every process of a benchmark run.
 *
 * `process.hrtime` reads CLOCK_MONOTONIC, which is shared by all processes on the host, so a
 * timestamp taken by the sender can be compared with a receipt time taken by a receiver in another
 * process. `performance.now()` reads the same clock but relative to the process' start; adding a
 * per-process offset, measured once, gives host-wide microseconds without a BigInt per call.
 */
const OFFSET_US = Number(process.hrtime.bigint()) / 1e3 - performance.now() * 1e3;

/** Host-wide monotonic time in microseconds (fractional). */
export function nowUs() {
  return performance.now() * 1e3 + OFFSET_US;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `fn` when the host clock reaches `atUs` (at once when already past). */
export function at(atUs, fn) {
  return setTimeout(fn, Math.max(0, (atUs - nowUs()) / 1e3));
}

/** Rejects with a named error when `promise` does not settle within `ms`. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Tracks this process' CPU time between two marks, as a fraction of one core. */
export class CpuMeter {
  start() {
    this.cpu = process.cpuUsage();
    this.wallUs = nowUs();
    this.result = undefined;
  }

  stop() {
    if (!this.cpu) return undefined;
    const d = process.cpuUsage(this.cpu);
    const wallUs = nowUs() - this.wallUs;
    this.result = {
      userUs: d.user,
      systemUs: d.system,
      wallUs,
      util: (d.user + d.system) / wallUs,
    };
    this.cpu = undefined;
    return this.result;
  }
}
