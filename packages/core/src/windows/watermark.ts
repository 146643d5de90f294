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
 *
 * Known shards that have not delivered an event time yet (listed by the stream, or recorded
 * without one) hold the watermark at "none" until they are idle, as a Flink split that has
 * produced nothing holds it until it is declared idle. Their idle clock starts when the
 * consumer first saw them (`firstSeenAt`).
 *
 * The idle clock only runs while the consumer runs: after a period in which it did not run at
 * all (`resumedAt`, see closer.ts), every shard counts as active again for an idle timeout, so
 * that a shard with a backlog is not taken for a caught-up one. A shard's activity starts at
 * max(lastBatchAt, firstSeenAt, resumedAt).
 *
 * The stored watermark never goes back: callers keep max(previous, derived).
 */
export interface ShardProgress {
  shardId: string;
  /** Largest event time the shard has delivered and the consumer has fully processed. */
  maxEventTime?: number;
  /** Wall clock (epoch ms) of the shard's last non-empty batch (0: none). */
  lastBatchAt: number;
  /** Wall clock (epoch ms) at which the consumer first knew of the shard. */
  firstSeenAt?: number;
}

export type WatermarkSettings = Pick<WindowConfig, "allowedLatenessMs" | "idleTimeoutMs">;

/** Since when the shard counts as active: its last batch, its discovery or the last resume. */
export function activeSince(shard: ShardProgress, resumedAt = Number.NEGATIVE_INFINITY): number {
  return Math.max(shard.lastBatchAt, shard.firstSeenAt ?? Number.NEGATIVE_INFINITY, resumedAt);
}

export function isIdle(shard: ShardProgress, now: number, idleTimeoutMs: number, resumedAt?: number): boolean {
  return now - activeSince(shard, resumedAt) > idleTimeoutMs;
}

/**
 * The watermark the shards allow at wall-clock time `now`; NO_WATERMARK if none reported or a
 * known shard without an event time is not idle yet. `resumedAt`: when the consumer last
 * resumed after not running (none: never).
 */
export function deriveWatermark(shards: readonly ShardProgress[], now: number, settings: WatermarkSettings, resumedAt?: number): number {
  let activeMin = Number.POSITIVE_INFINITY;
  let anyActive = false;
  let overallMax = Number.NEGATIVE_INFINITY;
  for (const shard of shards) {
    const m = shard.maxEventTime;
    const idle = isIdle(shard, now, settings.idleTimeoutMs, resumedAt);
    if (m === undefined) {
      if (!idle) return NO_WATERMARK;
      continue;
    }
    if (m > overallMax) overallMax = m;
    if (!idle) {
      anyActive = true;
      if (m < activeMin) activeMin = m;
    }
  }
  if (overallMax === Number.NEGATIVE_INFINITY) return NO_WATERMARK;
  return (anyActive ? activeMin : overallMax) - settings.allowedLatenessMs;
}
