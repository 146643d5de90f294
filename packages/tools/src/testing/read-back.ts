import { readStream, type ReadRecord } from "../consumer/reader.js";
import { resolveTarget } from "../target.js";

/**
 * Reads a local runtime's prices stream (named by its outputs.json) from the start, as the
 * tools' tests do to know exactly what was put: each batch of records goes to `onRecords`,
 * until it returns true or `timeoutMs` has passed.
 */
export async function readBackPrices(
  outputs: string,
  onRecords: (records: ReadRecord[]) => boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const target = resolveTarget({ outputs }, "prices");
  const stop = new AbortController();
  const guard = setTimeout(() => stop.abort(), timeoutMs);
  try {
    await readStream({
      client: target.client,
      streamName: target.streamName,
      from: { type: "TRIM_HORIZON" },
      signal: stop.signal,
      pollIntervalMs: 100,
      onRecords: (records) => {
        if (onRecords(records)) stop.abort();
      },
    });
  } finally {
    clearTimeout(guard);
    target.client.destroy();
  }
}
