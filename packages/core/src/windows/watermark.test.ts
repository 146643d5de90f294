import { describe, expect, it } from "vitest";
import { NO_WATERMARK } from "./trigger.js";
import { deriveWatermark, isIdle } from "./watermark.js";

const settings = { allowedLatenessMs: 10, idleTimeoutMs: 30 };

describe("watermark with bounded out-of-orderness and idle shards", () => {
  it("is the smallest shard max minus the lateness", () => {
    const shards = [
      { shardId: "a", maxEventTime: 500, lastBatchAt: 1000 },
      { shardId: "b", maxEventTime: 300, lastBatchAt: 1000 },
    ];
    expect(deriveWatermark(shards, 1000, settings)).toBe(290);
  });

  it("lateness 0: the watermark is the smallest max itself", () => {
    const shards = [{ shardId: "a", maxEventTime: 500, lastBatchAt: 1000 }];
    expect(deriveWatermark(shards, 1000, { ...settings, allowedLatenessMs: 0 })).toBe(500);
  });

  it("a trailing shard holds it back, an idle one does not", () => {
    const shards = [
      { shardId: "a", maxEventTime: 500, lastBatchAt: 1000 },
      { shardId: "b", maxEventTime: 300, lastBatchAt: 980 },
    ];
    expect(deriveWatermark(shards, 1000, settings)).toBe(290); // b trails: 20 ms quiet <= 30
    expect(deriveWatermark(shards, 1010, settings)).toBe(290); // exactly the timeout: not idle yet
    expect(isIdle(shards[1]!, 1011, 30)).toBe(true);
    expect(deriveWatermark(shards, 1011, settings)).toBe(490); // b idle: a alone decides
  });

  it("when every shard is idle it is the largest max minus the lateness", () => {
    const shards = [
      { shardId: "a", maxEventTime: 500, lastBatchAt: 0 },
      { shardId: "b", maxEventTime: 300, lastBatchAt: 0 },
    ];
    expect(deriveWatermark(shards, 1000, settings)).toBe(490);
  });

  it("shards without an event time offer none; no shard, no watermark", () => {
    expect(deriveWatermark([], 0, settings)).toBe(NO_WATERMARK);
    expect(deriveWatermark([{ shardId: "a", lastBatchAt: 0 }], 0, settings)).toBe(NO_WATERMARK);
    expect(
      deriveWatermark([{ shardId: "a", lastBatchAt: 0 }, { shardId: "b", maxEventTime: 70, lastBatchAt: 0 }], 0, settings),
    ).toBe(60);
  });
});
