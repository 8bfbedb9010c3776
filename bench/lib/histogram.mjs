/**
 * Latency histogram with logarithmic buckets (32 per power of two, about 2% wide) from 1 us to
 * 2^26 us (67 s). Fixed size, so per-message recording allocates nothing and histograms of
 * several processes merge by adding counts.
 */
const PER_OCTAVE = 32;
const OCTAVES = 26;
export const BUCKETS = PER_OCTAVE * OCTAVES + 1;

export function createHistogram() {
  return new Float64Array(BUCKETS);
}

/** Records one latency in microseconds. */
export function record(hist, us) {
  const i = us <= 1 ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log2(us) * PER_OCTAVE) + 1);
  hist[i]++;
}

export function merge(into, from) {
  for (let i = 0; i < BUCKETS; i++) into[i] += from[i];
  return into;
}

export function total(hist) {
  let n = 0;
  for (let i = 0; i < BUCKETS; i++) n += hist[i];
  return n;
}

/** The q-quantile (0..1) in microseconds: the geometric middle of the bucket it falls in. */
export function quantile(hist, q) {
  const n = total(hist);
  if (n === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * n));
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    seen += hist[i];
    if (seen >= rank) return i === 0 ? 1 : 2 ** ((i - 1 + 0.5) / PER_OCTAVE);
  }
  return undefined;
}
