/**
 * Token bucket pacing. Tokens accrue at `rate` per second up to `burst`; the producer takes one
 * per generated record. The bucket starts with a single token, so a run of T seconds yields
 * about rate × T records however the timers happen to fire.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => performance.now() };

export class TokenBucket {
  private tokens: number;
  private last: number;
  readonly burst: number;

  constructor(
    readonly rate: number,
    options: { burst?: number; clock?: Clock } = {},
  ) {
    if (!(rate > 0) || !Number.isFinite(rate))
      throw new Error(`rate must be a positive number, got ${rate}`);
    this.clock = options.clock ?? systemClock;
    // A tenth of a second's worth by default: smooth at low rates, few wake-ups at high ones.
    this.burst = Math.max(1, options.burst ?? Math.ceil(rate / 10));
    this.tokens = 1;
    this.last = this.clock.now();
  }

  private readonly clock: Clock;

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
  }

  /** Whole tokens available now (at most `max`). */
  available(max = Infinity): number {
    this.refill();
    return Math.max(0, Math.min(max, Math.floor(this.tokens)));
  }

  take(n: number): void {
    this.tokens -= n;
  }

  /** Milliseconds until the next whole token. */
  waitMs(): number {
    this.refill();
    if (this.tokens >= 1) return 0;
    return ((1 - this.tokens) * 1000) / this.rate;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, Math.max(0, ms));
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
