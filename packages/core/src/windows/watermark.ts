import type { WindowConfig } from "../config.js";
import { NO_WATERMARK } from "./trigger.js";

/**
 * Watermarks with bounded out-of-orderness and idle sources, as Flink's
 * `WatermarkStrategy.forBoundedOutOfOrderness(lateness).withIdleness(idleTimeout)`.
 *
 * Every shard of the input stream reports the largest event time it has delivered
 * (`maxEventTime`) and the wall-clock time of its last non-empty batch (`lastBatchAt`). The
 * watermark is the smallest maxEventTime over the active shards, minus the allowed lateness.
 * A shard is idle once it has delivered nothing for longer than the idle timeout: with Lambda's
 * event source mapping a caught-up shard simply stops invoking the consumer, so "its reads come
 * back empty" is seen as "no batch for that long". An idle shard does not hold the watermark
 * back; a shard that merely trails the others does. When every shard is idle the watermark is
 * the largest maxEventTime minus the lateness (Flink's behaviour once all inputs are idle).
 * A shard that has not yet delivered an event time offers no watermark and is left out.
 *
 * The stored watermark never goes back: callers keep max(previous, derived).
 */
export interface ShardProgress {
  shardId: string;
  /** Largest event time the shard has delivered and the consumer has fully processed. */
  maxEventTime?: number;
  /** Wall clock (epoch ms) of the shard's last non-empty batch. */
  lastBatchAt: number;
}

export type WatermarkSettings = Pick<WindowConfig, "allowedLatenessMs" | "idleTimeoutMs">;

export function isIdle(shard: ShardProgress, now: number, idleTimeoutMs: number): boolean {
  return now - shard.lastBatchAt > idleTimeoutMs;
}

/** The watermark the shards allow at wall-clock time `now`; NO_WATERMARK if none reported. */
export function deriveWatermark(shards: readonly ShardProgress[], now: number, settings: WatermarkSettings): number {
  let activeMin = Number.POSITIVE_INFINITY;
  let anyActive = false;
  let overallMax = Number.NEGATIVE_INFINITY;
  for (const shard of shards) {
    const m = shard.maxEventTime;
    if (m === undefined) continue;
    if (m > overallMax) overallMax = m;
    if (!isIdle(shard, now, settings.idleTimeoutMs)) {
      anyActive = true;
      if (m < activeMin) activeMin = m;
    }
  }
  if (overallMax === Number.NEGATIVE_INFINITY) return NO_WATERMARK;
  return (anyActive ? activeMin : overallMax) - settings.allowedLatenessMs;
}
