/**
 * Small statistics helpers for the benchmarks: every figure is reported as a median with its
 * spread over repetitions, never as a single run.
 */

/** Sorted copy, ascending; NaN is refused so a broken measurement cannot hide in a median. */
export function sorted(values: readonly number[]): number[] {
  for (const v of values) if (Number.isNaN(v)) throw new Error("NaN in sample");
  return [...values].sort((a, b) => a - b);
}

/**
 * Percentile by linear interpolation between closest ranks (the "R-7" rule of R and NumPy's
 * default): p in [0, 100]. Empty input gives NaN.
 */
export function percentile(values: readonly number[], p: number): number {
  if (p < 0 || p > 100) throw new Error(`percentile out of range: ${p}`);
  const s = sorted(values);
  if (s.length === 0) return Number.NaN;
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = s[lo] as number;
  const b = s[hi] as number;
  return a + (b - a) * (rank - lo);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  /** Interquartile range: [p25, p75]. */
  p25: number;
  p75: number;
}

/** The smallest and largest value of a sorted sample (NaN when empty). */
function extremes(s: readonly number[]): { min: number; max: number } {
  return s.length ? { min: s[0]!, max: s[s.length - 1]! } : { min: Number.NaN, max: Number.NaN };
}

/** The percentiles `ps` of a sorted sample, in that order. */
function percentiles<const P extends readonly number[]>(s: readonly number[], ps: P): { [K in keyof P]: number } {
  return ps.map((p) => percentile(s, p)) as { [K in keyof P]: number };
}

export function summarize(values: readonly number[]): Summary {
  const s = sorted(values);
  const [median, p25, p75] = percentiles(s, [50, 25, 75]);
  return { n: s.length, median, ...extremes(s), p25, p75 };
}

/** Latency percentiles of a sample, and its largest value. */
export type LatencySummary = Record<"n" | "p50" | "p95" | "p99" | "max", number>;

export function latencySummary(values: readonly number[]): LatencySummary {
  const s = sorted(values);
  const [p50, p95, p99] = percentiles(s, [50, 95, 99]);
  return { n: s.length, p50, p95, p99, max: extremes(s).max };
}

/**
 * Ratio of two paired series: the median of the per-repetition ratios (each candidate run
 * against the baseline run next to it), with its min and max. Pairing cancels most of the
 * drift of a shared, noisy machine.
 */
export function pairedRatio(candidate: readonly number[], baseline: readonly number[]): Summary {
  if (candidate.length !== baseline.length) throw new Error("paired series differ in length");
  return summarize(candidate.map((c, i) => c / (baseline[i] as number)));
}

/** Least-squares slope of y over x (e.g. lag over time); 0 for fewer than two points. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return 0;
  const mx = mean(xs.slice(0, n));
  const my = mean(ys.slice(0, n));
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - mx;
    num += dx * ((ys[i] as number) - my);
    den += dx * dx;
  }
  return den === 0 ? 0 : num / den;
}

/** "1.23 M" style, for tables. */
export function fmtNum(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return "n/a";
  const abs = Math.abs(v);
  if (abs >= 1e6) return `${(v / 1e6).toPrecision(digits)} M`;
  if (abs >= 1e4) return `${(v / 1e3).toPrecision(digits)} k`;
  if (abs >= 100) return v.toFixed(0);
  return v.toPrecision(digits);
}

/** "median (min–max)". */
export function fmtSpread(s: Summary, f: (v: number) => string = (v) => fmtNum(v)): string {
  return `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}
