import type { KinesisStreamRecord } from "aws-lambda";

/**
 * Adapters from the project's in-process consumer code to what the throughput benchmark runs:
 * a function from one batch of Kinesis records to a count of what it produced (writes,
 * updates), which keeps the work from being optimised away.
 */
export interface InProcessConsumer {
  consume(records: KinesisStreamRecord[]): number;
  reset?(): void;
}

/** What a candidate does: the decoder alone (per record or per batch), or a whole consumer. */
export type CandidateKind = "decodeTick" | "decodeBatch" | "latest" | "windows";

export interface Loaded {
  consumers: { name: string; kind: CandidateKind; make(): InProcessConsumer }[];
  missing: string[];
  notes: string[];
}

export async function loadInProcess(): Promise<Loaded> {
  const consumers: Loaded["consumers"] = [];
  const missing: string[] = [];
  const notes: string[] = [];

  try {
    const { decodeTick } = await import("@tickstream/core/ticks/decode");
    consumers.push({
      name: "decodeTick only",
      kind: "decodeTick",
      make: () => ({
        consume(records) {
          let n = 0;
          for (const r of records) if (decodeTick(Buffer.from(r.kinesis.data, "base64")).ok) n++;
          return n;
        },
      }),
    });
  } catch (err) {
    missing.push(`decoder (${(err as Error).message})`);
  }
  try {
    const { decodeBatch } = await import("@tickstream/core/kinesis/batch");
    consumers.push({
      name: "decodeBatch only",
      kind: "decodeBatch",
      make: () => ({ consume: (records) => decodeBatch(records).ticks.length }),
    });
  } catch (err) {
    missing.push(`batch decoder (${(err as Error).message})`);
  }
  try {
    const { decodeBatch } = await import("@tickstream/core/kinesis/batch");
    const { coalesceLatest } = await import("@tickstream/core/latest/coalesce");
    const { latestItemOf } = await import("@tickstream/core/latest/store");
    const { encodeLatestValues } = await import("@tickstream/core/latest/packed");
    consumers.push({
      name: "latest: decodeBatch + coalesceLatest + packed log entry",
      kind: "latest",
      make: () => ({
        consume(records) {
          const { ticks } = decodeBatch(records);
          // What the consumer writes per batch: one packed entry of each instrument's newest tick.
          return encodeLatestValues([...coalesceLatest(ticks).values()].map(latestItemOf)).length;
        },
      }),
    });
  } catch (err) {
    missing.push(`latest consumer (${(err as Error).message})`);
  }

  try {
    const { decodeBatch } = await import("@tickstream/core/kinesis/batch");
    const { aggregateBatch } = await import("@tickstream/core/windows/aggregate");
    const { windowShape } = await import("@tickstream/core/windows/assigner");
    const { WINDOW_DEFAULTS } = await import("@tickstream/core/config");
    const shape = windowShape(WINDOW_DEFAULTS);
    consumers.push({
      name: "windows: decodeBatch + aggregateBatch (pane maxima)",
      kind: "windows",
      make: () => ({
        consume(records) {
          const { ticks } = decodeBatch(records);
          const first = ticks[0]?.tick.eventTime ?? 0;
          // Placed against a watermark one lateness behind the batch, as in steady state.
          const agg = aggregateBatch(
            ticks.map((t) => t.tick),
            first - WINDOW_DEFAULTS.allowedLatenessMs,
            shape,
          );
          return agg.groups.length;
        },
      }),
    });
  } catch (err) {
    missing.push(`windows aggregation (${(err as Error).message})`);
  }

  return { consumers, missing, notes };
}
