/**
 * Small seedable random source for the producer. With a seed, every random choice the producer
 * makes (template helpers, faker, partition keys, disorder, duplicates) is reproducible; event
 * times still come from the clock.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** A 32-bit seed derived from this source, to seed other generators (faker). */
  seed(): number;
}

/** sfc32: fast, small state, good enough statistical quality for test data. */
export function seededRng(seed: number | string): Rng {
  const s = typeof seed === "number" ? seed : hashString(seed);
  let a = 0x9e3779b9 ^ s;
  let b = 0x243f6a88 ^ Math.imul(s, 0x85ebca6b);
  let c = 0xb7e15162 ^ Math.imul(s, 0xc2b2ae35);
  let d = 1;
  const next32 = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (a + b + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 15; i++) next32();
  return fromUniform(
    () => next32() / 4294967296,
    () => next32(),
  );
}

/** Math.random-backed source for unseeded runs. */
export function defaultRng(): Rng {
  return fromUniform(Math.random, () => Math.floor(Math.random() * 4294967296));
}

export function makeRng(seed?: number | string): Rng {
  return seed === undefined ? defaultRng() : seededRng(seed);
}

function fromUniform(next: () => number, seed: () => number): Rng {
  return {
    next,
    int(min, max) {
      return min + Math.floor(next() * (max - min + 1));
    },
    seed,
  };
}

function hashString(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}
