import type { KinesisStreamRecord } from "aws-lambda";
import type { PositionedTick } from "@tickstream/core/kinesis/batch";

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

type Candidate = Loaded["consumers"][number];

/** A candidate that counts what `count` makes of each batch's decoded ticks. */
async function onDecodedTicks(
  name: string,
  kind: CandidateKind,
  count: (ticks: PositionedTick[]) => number,
): Promise<Candidate> {
  const { decodeBatch } = await import("@tickstream/core/kinesis/batch");
  return { name, kind, make: () => ({ consume: (records) => count(decodeBatch(records).ticks) }) };
}

export async function loadInProcess(): Promise<Loaded> {
  const consumers: Loaded["consumers"] = [];
  const missing: string[] = [];
  const notes: string[] = [];
  /** Adds the candidate `load` builds, or notes `what` as missing with the reason. */
  const add = async (what: string, load: () => Promise<Candidate>) => {
    try {
      consumers.push(await load());
    } catch (err) {
      missing.push(`${what} (${(err as Error).message})`);
    }
  };

  await add("decoder", async () => {
    const { decodeTick } = await import("@tickstream/core/ticks/decode");
    return {
      name: "decodeTick only",
      kind: "decodeTick",
      make: () => ({
        consume(records) {
          let n = 0;
          for (const r of records) if (decodeTick(Buffer.from(r.kinesis.data, "base64")).ok) n++;
          return n;
        },
      }),
    };
  });
  await add("batch decoder", () =>
    onDecodedTicks("decodeBatch only", "decodeBatch", (ticks) => ticks.length),
  );
  await add("latest consumer", async () => {
    const { coalesceLatest } = await import("@tickstream/core/latest/coalesce");
    const { latestItemOf } = await import("@tickstream/core/latest/store");
    const { encodeLatestValues } = await import("@tickstream/core/latest/packed");
    // What the consumer writes per batch: one packed entry of each instrument's newest tick.
    return onDecodedTicks(
      "latest: decodeBatch + coalesceLatest + packed log entry",
      "latest",
      (ticks) => encodeLatestValues(coalesceLatest(ticks).map(latestItemOf)).length,
    );
  });
  await add("windows aggregation", async () => {
    const { aggregateBatch } = await import("@tickstream/core/windows/aggregate");
    const { windowShape } = await import("@tickstream/core/windows/assigner");
    const { WINDOW_DEFAULTS } = await import("@tickstream/core/config");
    const shape = windowShape(WINDOW_DEFAULTS);
    return onDecodedTicks(
      "windows: decodeBatch + aggregateBatch (pane maxima)",
      "windows",
      (ticks) => {
        const first = ticks[0]?.tick.eventTime ?? 0;
        // Placed against a watermark one lateness behind the batch, as in steady state.
        return aggregateBatch(
          ticks.map((t) => t.tick),
          first - WINDOW_DEFAULTS.allowedLatenessMs,
          shape,
        ).groups.length;
      },
    );
  });

  return { consumers, missing, notes };
}
