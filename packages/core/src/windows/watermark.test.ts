import { describe, expect, it } from "vitest";
import { NO_WATERMARK } from "./trigger.js";
import { deriveWatermark, isIdle } from "./watermark.js";

const settings = { allowedLatenessMs: 10, idleTimeoutMs: 30 };

describe("watermark with bounded out-of-orderness and idle shards", () => {
  const shard = (shardId: string, maxEventTime: number, lastBatchAt: number) => ({ shardId, maxEventTime, lastBatchAt });

  it.each([
    ["is the smallest shard max minus the lateness", [shard("a", 500, 1000), shard("b", 300, 1000)], 10, 290],
    ["lateness 0: the watermark is the smallest max itself", [shard("a", 500, 1000)], 0, 500],
    ["when every shard is idle it is the largest max minus the lateness", [shard("a", 500, 0), shard("b", 300, 0)], 10, 490],
  ])("%s (at 1000)", (_, shards, allowedLatenessMs, watermark) => {
    expect(deriveWatermark(shards, 1000, { ...settings, allowedLatenessMs })).toBe(watermark);
  });

  it("a trailing shard holds it back, an idle one does not", () => {
    const shards = [shard("a", 500, 1000), shard("b", 300, 980)];
    expect(deriveWatermark(shards, 1000, settings)).toBe(290); // b trails: 20 ms quiet <= 30
    expect(deriveWatermark(shards, 1010, settings)).toBe(290); // exactly the timeout: not idle yet
    expect(isIdle(shards[1]!, 1011, 30)).toBe(true);
    expect(deriveWatermark(shards, 1011, settings)).toBe(490); // b idle: a alone decides
  });

  it("no shard, no watermark; a shard without an event time holds it at none until idle", () => {
    expect(deriveWatermark([], 0, settings)).toBe(NO_WATERMARK);
    expect(deriveWatermark([{ shardId: "a", lastBatchAt: 0 }], 0, settings)).toBe(NO_WATERMARK);
    const shards = [{ shardId: "a", lastBatchAt: 0 }, { shardId: "b", maxEventTime: 70, lastBatchAt: 0 }];
    expect(deriveWatermark(shards, 0, settings)).toBe(NO_WATERMARK);
    expect(deriveWatermark(shards, 31, settings)).toBe(60);
  });

  it("a listed shard that has not reported holds it from when it was first seen", () => {
    const shards = [
      { shardId: "a", lastBatchAt: 0, firstSeenAt: 1000 },
      { shardId: "b", maxEventTime: 500, lastBatchAt: 1020, firstSeenAt: 1000 },
    ];
    expect(deriveWatermark(shards, 1020, settings)).toBe(NO_WATERMARK);
    expect(deriveWatermark(shards, 1030, settings)).toBe(NO_WATERMARK); // exactly the timeout
    expect(deriveWatermark(shards, 1031, settings)).toBe(490); // a idle: b alone decides
  });

  it("after the consumer resumes, every shard is active again for an idle timeout", () => {
    const shards = [shard("a", 500, 5000), shard("b", 300, 100)];
    expect(deriveWatermark(shards, 5000, settings)).toBe(490); // b looks idle by its last batch
    expect(isIdle(shards[1]!, 5000, 30, 4990)).toBe(false);
    expect(deriveWatermark(shards, 5000, settings, 4990)).toBe(290); // resumed at 4990: b trails
    expect(deriveWatermark(shards, 5021, settings, 4990)).toBe(490);
  });
});
