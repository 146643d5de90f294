import { describe, expect, it } from "vitest";
import { ApiError, BadResponseError, NetworkError, SessionExpiredError } from "./api";
import { BACKOFF_MAX_MS, backoffDelay, isTransient, shouldRetry } from "./polling";

describe("retry policy", () => {
  it("retries outages and server errors, not client errors or an ended session", () => {
    expect(isTransient(new NetworkError("refused"))).toBe(true);
    expect(isTransient(new ApiError(502, "bad gateway"))).toBe(true);
    expect(isTransient(new ApiError(503, "unavailable"))).toBe(true);
    expect(isTransient(new ApiError(429, "slow down"))).toBe(true);
    expect(isTransient(new BadResponseError("html"))).toBe(true);
    expect(isTransient(new ApiError(400, "bad from"))).toBe(false);
    expect(isTransient(new ApiError(404, "unknown instrument"))).toBe(false);
    expect(shouldRetry(50, new SessionExpiredError())).toBe(false);
    expect(shouldRetry(50, new NetworkError("x"))).toBe(true);
  });

  it("backs off exponentially with jitter, up to a cap", () => {
    const low = (a: number) => backoffDelay(a, () => 0);
    const high = (a: number) => backoffDelay(a, () => 1);
    expect([0, 1, 2, 3, 4, 5, 10].map(low)).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000]);
    expect([0, 1, 2, 3, 4, 5, 10].map(high)).toEqual([1000, 2000, 4000, 8000, 10000, 10000, 10000]);
    for (let a = 0; a < 40; a++) expect(backoffDelay(a)).toBeLessThanOrEqual(BACKOFF_MAX_MS);
  });

  it("keeps an outage to a handful of requests a minute", () => {
    // worst case (smallest delays): how many attempts fit in the first minute?
    let t = 0;
    let attempts = 1;
    while (t < 60_000) {
      t += backoffDelay(attempts - 1, () => 0);
      attempts++;
    }
    expect(attempts).toBeLessThanOrEqual(16);
  });
});
