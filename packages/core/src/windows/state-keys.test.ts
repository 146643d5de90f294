import { describe, expect, it } from "vitest";
import { KeyTimeOutOfRangeError } from "./errors.js";
import { claimSortKey, padTime, paneSortKey, paneSortKeyRange, parseClaimSortKey, parsePaneSortKey } from "./state-keys.js";

describe("State and Panes keys", () => {
  it("pad times to 16 digits so that string order is time order", () => {
    expect(padTime(60_000)).toBe("0000000000060000");
    expect(claimSortKey(60_000, 31) < claimSortKey(120_000, 2)).toBe(true);
    expect(parseClaimSortKey(claimSortKey(60_000, 31))).toEqual({ windowEnd: 60_000, bucket: 31 });
  });

  it("a pane key range holds every shard's item of its panes and nothing else", () => {
    const { lower, upper } = paneSortKeyRange(10, 20);
    const inside = [paneSortKey(10, "shardId-000000000000"), paneSortKey(20, "shardId-000000000009"), paneSortKey(20, "~")];
    const outside = [paneSortKey(0, "shardId-000000000009"), paneSortKey(30, "a"), paneSortKey(21, "")];
    for (const k of inside) expect(k >= lower && k <= upper, k).toBe(true);
    for (const k of outside) expect(k >= lower && k <= upper, k).toBe(false);
    expect(parsePaneSortKey(paneSortKey(20, "shardId-000000000009"))).toEqual({ paneStart: 20, shardId: "shardId-000000000009" });
  });

  it("refuse a time a key cannot hold", () => {
    for (const t of [-1, 10 ** 16, 1.5]) expect(() => padTime(t), String(t)).toThrow(KeyTimeOutOfRangeError);
  });
});
